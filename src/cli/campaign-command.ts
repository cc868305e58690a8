import { Command } from 'commander';
import type { CliIo } from './cli-io.js';
import { campaignControlCommand } from './campaign-control-command.js';
import { campaignCreateCommand } from './campaign-create-command.js';
import { campaignListCommand } from './campaign-list-command.js';
import { campaignResultsCommand } from './campaign-results-command.js';
import { campaignStatusCommand } from './campaign-status-command.js';

/** `dialer campaign create|status|list|pause|resume|cancel|results`. */
export function campaignCommand(io: CliIo): Command {
  const campaign = new Command('campaign')
    .description('bulk dialing: import a list of numbers, watch it, pause, resume or cancel it')
    .addHelpText(
      'after',
      '\nExamples:\n  dialer campaign create spring-sale --numbers leads.csv --config dialer.yaml\n  dialer campaign status spring-sale --watch --config dialer.yaml\n',
    );

  campaign.addCommand(campaignCreateCommand(io));
  campaign.addCommand(campaignStatusCommand(io));
  campaign.addCommand(campaignListCommand(io));
  for (const action of ['pause', 'resume', 'cancel'] as const)
    campaign.addCommand(campaignControlCommand(io, action));
  campaign.addCommand(campaignResultsCommand(io));
  return campaign;
}
