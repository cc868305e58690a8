import { Command } from 'commander';
import { CampaignNotFoundError } from '../jobs/index.js';
import { CampaignStore } from '../jobs/index.js';
import { isResultFormat, readCampaignResults, resultLines } from '../results/index.js';
import type { CliIo } from './cli-io.js';
import { clientFromConfig } from './client-from-config.js';
import { loadCliConfig } from './load-cli-config.js';
import { UsageError } from './usage-error.js';

/** `dialer campaign results`: the export, streamed to stdout in blocks. */
export function campaignResultsCommand(io: CliIo): Command {
  return new Command('results')
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
}
