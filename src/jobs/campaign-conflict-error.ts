import { DialerError } from '../kernel/index.js';

/** A campaign of that name exists with other settings. Code: `CAMPAIGN_CONFLICT`. */
export class CampaignConflictError extends DialerError {
  readonly code = 'CAMPAIGN_CONFLICT';

  constructor(
    readonly campaign: string,
    /** The settings already stored, as JSON. */
    readonly existing: string,
  ) {
    super(`campaign ${JSON.stringify(campaign)}: exists with other settings ${existing}`);
  }
}
