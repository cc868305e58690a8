import { Command } from 'commander';
import { migrateTrunkKeys } from '../jobs/index.js';
import type { CliIo } from './cli-io.js';
import { clientFromConfig } from './client-from-config.js';
import { loadCliConfig } from './load-cli-config.js';

interface MigrateKeysOptions {
  config?: string;
  dryRun?: boolean;
  json?: boolean;
}

/**
 * `dialer migrate-keys`: moves a deployment's trunk keys from the one `{dialer}` tag to each
 * trunk's own (README, Redis Cluster: migrating). Workers and producers stopped first.
 */
export function migrateKeysCommand(io: CliIo): Command {
  return new Command('migrate-keys')
    .description("move each trunk's queue, pace, circuit and dial formats to the trunk's own hash tag")
    .option('-c, --config <file>', 'config file (default: $DIALER_CONFIG)')
    .option('--dry-run', 'count the keys to move, move none')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      '\nStop every worker and producer first (refused while a worker is alive).\n\nExample:\n  dialer migrate-keys --dry-run --config dialer.yaml\n',
    )
    .action(async (options: MigrateKeysOptions) => {
      const config = await loadCliConfig(options.config, io.env);
      const client = await clientFromConfig(config);
      try {
        const moved = await migrateTrunkKeys({
          redis: client.redis,
          keys: client.keys,
          trunks: config.trunks.map((t) => t.name),
          dryRun: options.dryRun === true,
        });
        if (options.json) io.out(JSON.stringify({ dryRun: options.dryRun === true, trunks: moved }));
        else
          for (const m of moved)
            io.out(
              `${m.trunk}: ${m.keys} key${m.keys === 1 ? '' : 's'} ${options.dryRun ? 'to move' : 'moved'} to ${client.keys.trunkPrefix(m.trunk)}`,
            );
      } finally {
        await client.close();
      }
    });
}
