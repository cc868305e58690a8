import { Command } from 'commander';
import { CampaignControl } from '../jobs/index.js';
import { CampaignStore } from '../jobs/index.js';
import type { CliIo } from './cli-io.js';
import { clientFromConfig } from './client-from-config.js';
import { loadCliConfig } from './load-cli-config.js';

/** `dialer campaign pause|resume|cancel`. */
export function campaignControlCommand(io: CliIo, action: 'pause' | 'resume' | 'cancel'): Command {
  return new Command(action)
    .description(
      action === 'pause'
        ? 'stop starting calls of the campaign (live calls finish); every worker obeys within a second'
        : action === 'resume'
          ? 'start dialing the campaign again'
          : 'end the campaign: its remaining jobs end as cancelled',
    )
    .addHelpText('after', `\nExample:\n  dialer campaign ${action} spring-sale --config dialer.yaml\n`)
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
