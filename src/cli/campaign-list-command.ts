import { Command } from 'commander';
import { CampaignStore } from '../jobs/index.js';
import type { CliIo } from './cli-io.js';
import { clientFromConfig } from './client-from-config.js';
import { loadCliConfig } from './load-cli-config.js';

/** `dialer campaign list`. */
export function campaignListCommand(io: CliIo): Command {
  return new Command('list')
    .description('every campaign with its state')
    .addHelpText('after', '\nExample:\n  dialer campaign list --json --config dialer.yaml\n')
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
}
