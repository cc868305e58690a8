import { Command } from 'commander';
import { type LastImport } from '../jobs/index.js';
import { CampaignStore } from '../jobs/index.js';
import type { CliIo } from './cli-io.js';
import { clientFromConfig } from './client-from-config.js';
import { loadCliConfig } from './load-cli-config.js';
import { campaignRates, formatCampaignWatch, type CampaignRates } from './format-campaign-watch.js';
import { StatusBlock } from './status-block.js';

/** `dialer campaign status`: counts per status, once or redrawn until nothing is pending. */
export function campaignStatusCommand(io: CliIo): Command {
  return new Command('status')
    .description('counts per final status, pending jobs and attempts')
    .addHelpText('after', '\nExample:\n  dialer campaign status spring-sale --watch --config dialer.yaml\n')
    .argument('<name>')
    .option('-c, --config <file>', 'config file (default: $DIALER_CONFIG)')
    .option('--watch', 'redraw counts, INVITEs/s and ETA every second until nothing is pending')
    .option('--json', 'print JSON')
    .action(async (name: string, options: { config?: string; watch?: boolean; json?: boolean }) => {
      const config = await loadCliConfig(options.config, io.env);
      const client = await clientFromConfig(config);
      const store = new CampaignStore({ redis: client.redis, keys: client.keys });
      try {
        let status = await store.status(name);
        if (options.watch) {
          const block = new StatusBlock(io.err, Boolean(process.stderr.isTTY), process.stderr.columns);
          let rates: CampaignRates | undefined;
          let readAt = Date.now();
          for (;;) {
            const lines = formatCampaignWatch(status, rates);
            block.draw(lines, lines.map((l) => l.trim()).join(' | '));
            if (status.pending === 0 || status.state === 'cancelled' || status.state === 'completed') break;
            await new Promise((r) => setTimeout(r, 1000));
            const next = await store.status(name);
            const now = Date.now();
            rates = campaignRates(status, next, (now - readAt) / 1000);
            status = next;
            readAt = now;
          }
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
            ...(status.completedAt !== undefined
              ? [`  completed at   ${new Date(status.completedAt).toISOString()}`]
              : []),
            ...counts,
            ...(status.lastImport ? [`  last import    ${describeImport(status.lastImport)}`] : []),
          ].join('\n'),
        );
      } finally {
        await client.close();
      }
    });
}

function describeImport(last: LastImport): string {
  const counts =
    last.state === 'committed'
      ? `${last.rows} rows, ${last.enqueued ?? 0} enqueued`
      : `${last.rows} rows read`;
  return `${last.state} at ${last.at}: ${counts}${last.reason !== undefined ? ` (${last.reason})` : ''}`;
}
