/** `cancelled` is final: its remaining jobs end as `cancelled` when a worker takes them. */
export const CAMPAIGN_STATES = Object.freeze(['running', 'paused', 'cancelled'] as const);

export type CampaignState = (typeof CAMPAIGN_STATES)[number];

export function isCampaignState(value: unknown): value is CampaignState {
  return typeof value === 'string' && (CAMPAIGN_STATES as readonly string[]).includes(value);
}
