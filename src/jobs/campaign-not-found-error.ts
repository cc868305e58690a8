import { DialerError } from '../kernel/index.js';

/** No campaign of that name. Code: `CAMPAIGN_NOT_FOUND`. */
export class CampaignNotFoundError extends DialerError {
  readonly code = 'CAMPAIGN_NOT_FOUND';

  constructor(readonly campaign: string) {
    super(`campaign ${JSON.stringify(campaign)}: not found`);
  }
}
