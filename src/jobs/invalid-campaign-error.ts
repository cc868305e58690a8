import { DialerError } from '../kernel/index.js';

/** A campaign name, setting or import option with a bad value. Code: `CAMPAIGN_INVALID`. */
export class InvalidCampaignError extends DialerError {
  readonly code = 'CAMPAIGN_INVALID';

  constructor(
    readonly field: string,
    readonly value: unknown,
    reason: string,
  ) {
    super(`${field} ${show(value)}: ${reason}`);
  }
}

function show(value: unknown): string {
  try {
    const text = JSON.stringify(value) ?? String(value);
    return text.length > 120 ? `${text.slice(0, 120)}…` : text;
  } catch {
    return String(value);
  }
}
