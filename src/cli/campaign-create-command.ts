import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import type { CountryCode } from 'libphonenumber-js/max';
import type { CallingWindow } from '../compliance/index.js';
import { createCampaignAndImport, type AmdSetting, type CallScript } from '../jobs/index.js';
import { CampaignStore } from '../jobs/index.js';
import type { CliIo } from './cli-io.js';
import { clientFromConfig } from './client-from-config.js';
import { ImportRefusedError } from './import-refused-error.js';
import { openNumbersFile } from './open-numbers-file.js';
import { loadCliConfig } from './load-cli-config.js';
import { selectTrunk } from './probe/select-trunk.js';
import { ProgressReporter } from './progress-reporter.js';
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
  /** `true` for the bare flag, else the timings as JSON. */
  amd?: string | true;
  script?: string;
  paused?: boolean;
  json?: boolean;
}

/** `dialer campaign create`: the CLI's side of createCampaignAndImport (parsing and printing). */
export function campaignCreateCommand(io: CliIo): Command {
  return new Command('create')
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
    .option(
      '--amd [timings]',
      'answering-machine detection for its calls: on with the defaults, or with analyzer timings as JSON (\'{"greetingMs":1500}\')',
    )
    .option(
      '--script <file.json>',
      'what answered calls do, as a JSON file: {"play":"offer.wav","onMachine":"leaveMessage","record":"both",…}',
    )
    .option('--paused', 'create it paused (start it with `campaign resume`)')
    .option('--json', 'print the import report as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  dialer campaign create spring-sale --numbers leads.csv --country BR --window 09:00-20:00 --days 1,2,3,4,5 --config dialer.yaml\n' +
        '  dialer campaign create drop --numbers leads.csv --amd \'{"greetingMs":1500}\' --script drop-script.json --config dialer.yaml\n',
    )
    .action(async (name: string, options: CreateOptions) => {
      const config = await loadCliConfig(options.config, io.env);
      const trunk = selectTrunk(config, options.trunk);
      const window = parseWindow(options);
      const amd = parseAmd(options.amd);
      const script = options.script !== undefined ? await readScript(options.script) : undefined;
      const numbers = await openNumbersFile(options.numbers);
      const client = await clientFromConfig(config).catch((error: unknown) => {
        numbers.destroy();
        throw error;
      });
      const store = new CampaignStore({ redis: client.redis, keys: client.keys });
      try {
        const country = (options.country?.toUpperCase() ?? trunk.defaultCountry) as CountryCode | undefined;
        const progress = new ProgressReporter(
          io.err,
          Boolean(process.stderr.isTTY),
          1000,
          process.stderr.columns,
        );
        const started = Date.now();
        const {
          created,
          removed,
          campaign: record,
          report,
          lastImport,
        } = await createCampaignAndImport(
          { client, store },
          {
            name,
            settings: {
              trunk: trunk.name,
              ...(options.callerId !== undefined ? { callerId: options.callerId } : {}),
              ...(country !== undefined ? { defaultCountry: country } : {}),
              ...(window ? { window } : {}),
              ...(options.timeZone !== undefined ? { timeZone: options.timeZone } : {}),
              ...(options.maxAttempts !== undefined ? { maxAttempts: Number(options.maxAttempts) } : {}),
              ...(amd !== undefined ? { amd } : {}),
              ...(script !== undefined ? { script } : {}),
            },
            ...(trunk.defaultCountry ? { trunkCountry: trunk.defaultCountry as CountryCode } : {}),
            state: options.paused ? 'paused' : 'running',
            stream: numbers,
            ...(options.column !== undefined ? { column: options.column } : {}),
            onProgress: (p, phase) => {
              const rate = Math.round(p.rows / Math.max(0.001, (Date.now() - started) / 1000));
              progress.update(
                phase === 'staging'
                  ? `importing ${name}: ${p.rows} rows read, ${p.invalid} bad, ${p.duplicates} repeated (${rate} rows/s)`
                  : `committing ${name}: ${p.rows} of ${p.valid - p.duplicates} rows queued`,
              );
            },
          },
        );
        progress.done(
          `imported ${name}: ${report.rows} rows in ${((Date.now() - started) / 1000).toFixed(1)} s`,
        );
        const refused = (): void => {
          if (lastImport.state === 'refused')
            throw new ImportRefusedError(`import of ${name} refused: ${lastImport.reason ?? 'see above'}`);
        };
        if (options.json) {
          io.out(JSON.stringify({ created, removed, ...report, lastImport }, null, 2));
          refused();
          return;
        }
        io.out(
          [
            removed
              ? `campaign ${name} not created (its first import was refused)`
              : `campaign ${name} ${created ? 'created' : 'already existed'} on trunk ${trunk.name} (${record.state})`,
            ...(lastImport.state === 'refused'
              ? [`import refused, nothing enqueued: ${lastImport.reason}`]
              : []),
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
        refused();
      } finally {
        await client.close();
      }
    });
}

/**
 * `--amd` alone is `true`; with a value, JSON (`false`, `{"greetingMs":1500}`). The shape is the
 * campaign settings' rule to check, which names the field at fault.
 */
function parseAmd(value: string | true | undefined): AmdSetting | undefined {
  if (value === undefined || value === true) return value;
  try {
    return JSON.parse(value) as AmdSetting;
  } catch {
    throw new UsageError(
      `--amd ${JSON.stringify(value)} is not JSON: give true, false or {"greetingMs":1500,…}`,
    );
  }
}

/** The `--script` file's JSON; its fields are checked with the campaign's settings. */
async function readScript(path: string): Promise<CallScript> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      `--script ${path}: cannot read it (${code === 'ENOENT' ? 'no such file' : (code ?? 'error')})`,
    );
  }
  try {
    return JSON.parse(text) as CallScript;
  } catch (error) {
    throw new UsageError(`--script ${path}: not JSON (${(error as Error).message})`);
  }
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
