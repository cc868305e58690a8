/**
 * `cancelled` is final: its remaining jobs end as `cancelled` when a worker takes them.
 * `completed` is set by Redis itself when a running campaign's last number gets its final outcome
 * (or when one is resumed with none left); an import that adds numbers makes it `running` again.
 */
export const CAMPAIGN_STATES = Object.freeze(['running', 'paused', 'cancelled', 'completed'] as const);

export type CampaignState = (typeof CAMPAIGN_STATES)[number];

/** The states an operator may set; `completed` only ever follows from the outcomes. */
export const CONTROL_STATES = Object.freeze(['running', 'paused', 'cancelled'] as const);

export function isCampaignState(value: unknown): value is CampaignState {
  return typeof value === 'string' && (CAMPAIGN_STATES as readonly string[]).includes(value);
}
