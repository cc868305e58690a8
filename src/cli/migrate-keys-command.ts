import { Command } from 'commander';
import { migrateNumberKeys, migrateTrunkKeys } from '../jobs/index.js';
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
 * trunk's own, then its numbers' fences and attempts to each number's own (README, Redis Cluster:
 * migrating). Workers and producers stopped first.
 */
export function migrateKeysCommand(io: CliIo): Command {
  return new Command('migrate-keys')
    .description(
      "move each trunk's queue, pace, circuit and dial formats to the trunk's own hash tag, and each number's fence and attempts to the number's",
    )
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
        const scope = {
          redis: client.redis,
          keys: client.keys,
          trunks: config.trunks.map((t) => t.name),
          dryRun: options.dryRun === true,
        };
        // Trunks first: a job's number is then read from its queue's new place.
        const moved = await migrateTrunkKeys(scope);
        const numbers = await migrateNumberKeys(scope);
        const verb = options.dryRun ? 'to move' : 'moved';
        if (options.json) io.out(JSON.stringify({ dryRun: options.dryRun === true, trunks: moved, numbers }));
        else {
          for (const m of moved)
            io.out(
              `${m.trunk}: ${m.keys} key${m.keys === 1 ? '' : 's'} ${verb} to ${client.keys.trunkPrefix(m.trunk)}`,
            );
          io.out(
            `numbers: ${numbers.keys} fence and attempt key${numbers.keys === 1 ? '' : 's'} ${verb} to ${client.keys.numberPrefix('<e164>')}` +
              (numbers.unknown > 0 ? `; ${numbers.unknown} attempt keys of unknown jobs left in place` : ''),
          );
        }
      } finally {
        await client.close();
      }
    });
}
