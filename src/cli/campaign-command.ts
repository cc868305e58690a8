import { createReadStream } from 'node:fs';
import { Command } from 'commander';
import type { CountryCode } from 'libphonenumber-js/max';
import type { CallingWindow } from '../compliance/index.js';
import { CampaignControl } from '../jobs/index.js';
import { importCampaignCsv } from '../jobs/index.js';
import { CampaignNotFoundError } from '../jobs/index.js';
import { CampaignStore } from '../jobs/index.js';
import { isResultFormat, readCampaignResults, resultLines } from '../results/index.js';
import type { CliIo } from './cli-io.js';
import { clientFromConfig } from './client-from-config.js';
import { loadCliConfig } from './load-cli-config.js';
import { selectTrunk } from './probe/select-trunk.js';
import { ProgressReporter, progressBar } from './progress-reporter.js';
import { UsageError } from './usage-error.js';

interface CreateOptions {
  config?: string;
  numbers: string;
  trunk?: string;
  callerId?: string;
  country?: string;
  column?: string;
  maxAttempts?: string;
  window?: string;
  days?: string;
  timeZone?: string;
  paused?: boolean;
  json?: boolean;
}

/** `dialer campaign create|status|list|pause|resume|cancel`. */
export function campaignCommand(io: CliIo): Command {
  const campaign = new Command('campaign').description(
    'bulk dialing: import a list of numbers, watch it, pause, resume or cancel it',
  );

  campaign
    .command('create')
    .description(
      'create a campaign and enqueue its numbers from a CSV file (streamed; bad rows reported with line numbers)',
    )
    .argument('<name>', 'campaign name: [a-z0-9][a-z0-9_-]*')
    .requiredOption(
      '--numbers <file.csv>',
      'CSV with a number column (number, phone or msisdn, else the first); other columns become metadata',
    )
    .option('-c, --config <file>', 'config file (default: $DIALER_CONFIG)')
    .option('-t, --trunk <name>', 'trunk (default: the first)')
    .option('--caller-id <number>', 'caller ID to present')
    .option('--country <iso>', 'country of numbers written without +country code (default: the trunk’s)')
    .option('--column <name>', 'header of the number column')
    .option('--max-attempts <n>', 'attempts per number (default: defaults.maxAttempts)')
    .option('--window <HH:MM-HH:MM>', 'calling hours in the callee’s time zone, e.g. 09:00-20:00')
    .option('--days <list>', 'days the window opens, 0=Sunday: e.g. 1,2,3,4,5 (default: every day)')
    .option('--time-zone <iana>', 'read the window in this zone instead of the callee’s')
    .option('--paused', 'create it paused (start it with `campaign resume`)')
    .option('--json', 'print the import report as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  dialer campaign create spring-sale --numbers leads.csv --country BR --window 09:00-20:00 --days 1,2,3,4,5 --config dialer.yaml\n',
    )
    .action(async (name: string, options: CreateOptions) => {
      const config = await loadCliConfig(options.config, io.env);
      const trunk = selectTrunk(config, options.trunk);
      const client = await clientFromConfig(config);
      const store = new CampaignStore({ redis: client.redis, keys: client.keys });
      try {
        const window = parseWindow(options);
        const country = (options.country?.toUpperCase() ?? trunk.defaultCountry) as CountryCode | undefined;
        const created = await store.create(
          name,
          {
            trunk: trunk.name,
            ...(options.callerId !== undefined ? { callerId: options.callerId } : {}),
            ...(country !== undefined ? { defaultCountry: country } : {}),
            ...(window ? { window } : {}),
            ...(options.timeZone !== undefined ? { timeZone: options.timeZone } : {}),
            ...(options.maxAttempts !== undefined ? { maxAttempts: Number(options.maxAttempts) } : {}),
          },
          { state: options.paused ? 'paused' : 'running' },
        );
        const progress = new ProgressReporter(io.err, Boolean(process.stderr.isTTY));
        const started = Date.now();
        const report = await importCampaignCsv({
          stream: createReadStream(options.numbers),
          campaign: name,
          trunk: {
            name: trunk.name,
            ...(trunk.defaultCountry ? { defaultCountry: trunk.defaultCountry } : {}),
          },
          ...(country !== undefined ? { defaultCountry: country } : {}),
          ...(options.column !== undefined ? { column: options.column } : {}),
          enqueue: async (jobs) => {
            const withCallerId =
              options.callerId !== undefined
                ? jobs.map((j) => ({ ...j, data: { ...j.data, callerId: options.callerId } }))
                : jobs;
            return (await client.addJobs(trunk.name, withCallerId)).filter(Boolean).length;
          },
          store,
          onProgress: (p) => {
            const rate = Math.round(p.rows / Math.max(0.001, (Date.now() - started) / 1000));
            progress.update(
              `importing ${name}: ${p.rows} rows, ${p.enqueued} enqueued, ${p.invalid} bad, ${p.duplicates} repeated (${rate} rows/s)`,
            );
          },
        });
        progress.done(
          `imported ${name}: ${report.rows} rows in ${((Date.now() - started) / 1000).toFixed(1)} s`,
        );
        if (options.json) {
          io.out(JSON.stringify({ created: created.created, ...report }, null, 2));
          return;
        }
        io.out(
          [
            `campaign ${name} ${created.created ? 'created' : 'already existed'} on trunk ${trunk.name} (${created.campaign.state})`,
            `rows: ${report.rows}  valid: ${report.valid}  enqueued: ${report.enqueued}  already queued: ${report.alreadyQueued}  repeated: ${report.duplicates}  bad: ${report.invalid}`,
            ...report.errors
              .slice(0, 20)
              .map((e) => `  line ${e.line}: ${JSON.stringify(e.input)}: ${e.reason}`),
            ...(report.errors.length + report.errorsOmitted > 20
              ? [
                  `  … ${report.errors.length + report.errorsOmitted - 20} more bad rows (--json lists ${report.errors.length})`,
                ]
              : []),
          ].join('\n'),
        );
      } finally {
        await client.close();
      }
    });

  campaign
    .command('status')
    .description('counts per final status, pending jobs and attempts')
    .argument('<name>')
    .option('-c, --config <file>', 'config file (default: $DIALER_CONFIG)')
    .option('--watch', 'refresh every second until nothing is pending')
    .option('--json', 'print JSON')
    .action(async (name: string, options: { config?: string; watch?: boolean; json?: boolean }) => {
      const config = await loadCliConfig(options.config, io.env);
      const client = await clientFromConfig(config);
      const store = new CampaignStore({ redis: client.redis, keys: client.keys });
      try {
        let status = await store.status(name);
        if (options.watch) {
          const progress = new ProgressReporter(io.err, Boolean(process.stderr.isTTY));
          while (status.pending > 0 && status.state !== 'cancelled') {
            const done = status.total - status.pending;
            progress.update(
              `${name} ${status.state} ${progressBar(done / Math.max(1, status.total))} ${done}/${status.total} done, ${status.attempts} attempts`,
            );
            await new Promise((r) => setTimeout(r, 1000));
            status = await store.status(name);
          }
          progress.done(`${name} ${status.state}: ${status.total - status.pending}/${status.total} done`);
        }
        if (options.json) {
          io.out(JSON.stringify(status, null, 2));
          return;
        }
        const counts = Object.entries(status.byStatus)
          .filter(([, n]) => n > 0)
          .map(([s, n]) => `  ${s.padEnd(15)} ${n}`);
        io.out(
          [
            `campaign ${name}: ${status.state}`,
            `  total          ${status.total}`,
            `  pending        ${status.pending}`,
            `  attempts       ${status.attempts}`,
            ...counts,
          ].join('\n'),
        );
      } finally {
        await client.close();
      }
    });

  campaign
    .command('list')
    .description('every campaign with its state')
    .option('-c, --config <file>', 'config file (default: $DIALER_CONFIG)')
    .option('--json', 'print JSON')
    .action(async (options: { config?: string; json?: boolean }) => {
      const config = await loadCliConfig(options.config, io.env);
      const client = await clientFromConfig(config);
      try {
        const list = await new CampaignStore({ redis: client.redis, keys: client.keys }).list();
        io.out(
          options.json
            ? JSON.stringify(list, null, 2)
            : list.map((c) => `${c.name}\t${c.state}\t${c.settings.trunk}`).join('\n'),
        );
      } finally {
        await client.close();
      }
    });

  for (const action of ['pause', 'resume', 'cancel'] as const) {
    campaign
      .command(action)
      .description(
        action === 'pause'
          ? 'stop starting calls of the campaign (live calls finish); every worker obeys within a second'
          : action === 'resume'
            ? 'start dialing the campaign again'
            : 'end the campaign: its remaining jobs end as cancelled',
      )
      .argument('<name>')
      .option('-c, --config <file>', 'config file (default: $DIALER_CONFIG)')
      .option('--json', 'print JSON')
      .action(async (name: string, options: { config?: string; json?: boolean }) => {
        const config = await loadCliConfig(options.config, io.env);
        const client = await clientFromConfig(config);
        try {
          const control = new CampaignControl(
            client,
            new CampaignStore({ redis: client.redis, keys: client.keys }),
          );
          const result =
            action === 'pause'
              ? { state: await control.pause(name), promoted: 0 }
              : await control[action](name);
          io.out(
            options.json
              ? JSON.stringify({ name, ...result })
              : `campaign ${name}: ${result.state}${result.promoted ? ` (${result.promoted} waiting jobs released)` : ''}`,
          );
        } finally {
          await client.close();
        }
      });
  }
  campaign
    .command('results')
    .description('one row per number: final status (or pending), attempts and timings; streamed to stdout')
    .argument('<name>')
    .option('-c, --config <file>', 'config file (default: $DIALER_CONFIG)')
    .option('--format <csv|jsonl>', 'csv (with a header line) or JSON lines', 'csv')
    .option('--no-pending', 'leave out numbers without a final outcome yet')
    .addHelpText(
      'after',
      '\nExamples:\n  dialer campaign results spring-sale --config dialer.yaml > spring-sale.csv\n  dialer campaign results spring-sale --format jsonl --config dialer.yaml | jq -c \'select(.status == "answered")\'\n',
    )
    .action(async (name: string, options: { config?: string; format: string; pending: boolean }) => {
      if (!isResultFormat(options.format)) {
        throw new UsageError(`--format "${options.format}" must be csv or jsonl`);
      }
      const config = await loadCliConfig(options.config, io.env);
      const client = await clientFromConfig(config);
      try {
        const record = await new CampaignStore({ redis: client.redis, keys: client.keys }).get(name);
        if (!record) throw new CampaignNotFoundError(name);
        const rows = readCampaignResults({
          redis: client.redis,
          keys: client.keys,
          campaign: name,
          trunk: record.settings.trunk,
          includePending: options.pending,
        });
        // Lines go out in blocks: one write per 1000 rows, never the whole export in memory.
        let block: string[] = [];
        for await (const line of resultLines(rows, options.format)) {
          block.push(line);
          if (block.length >= 1000) {
            io.out(block.join('\n'));
            block = [];
          }
        }
        if (block.length > 0) io.out(block.join('\n'));
      } finally {
        await client.close();
      }
    });

  return campaign;
}

function parseWindow(options: CreateOptions): CallingWindow | undefined {
  if (options.window === undefined) {
    if (options.days !== undefined) throw new UsageError('--days needs --window');
    return undefined;
  }
  const match = /^(\d{2}:\d{2})-(\d{2}:\d{2})$/.exec(options.window);
  if (!match?.[1] || !match[2]) throw new UsageError(`--window "${options.window}" is not HH:MM-HH:MM`);
  const days = options.days?.split(',').map((d) => Number(d.trim()));
  if (days?.some((d) => !Number.isInteger(d) || d < 0 || d > 6))
    throw new UsageError(`--days "${options.days}" must list 0..6 (0 = Sunday)`);
  return { start: match[1], end: match[2], ...(days ? { days } : {}) };
}
