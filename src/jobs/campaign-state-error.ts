import { DialerError } from '../kernel/index.js';

/** A state change a campaign cannot make (a cancelled campaign stays cancelled). Code: `CAMPAIGN_STATE_INVALID`. */
export class CampaignStateError extends DialerError {
  readonly code = 'CAMPAIGN_STATE_INVALID';

  constructor(
    readonly campaign: string,
    readonly from: string,
    readonly to: string,
  ) {
    super(`campaign ${JSON.stringify(campaign)}: cannot go from ${from} to ${to}`);
  }
}
