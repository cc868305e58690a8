import type { CampaignCompletionNotice } from './campaign-completion-notice.js';

/** The event type of a campaign's completion callback. */
export const CAMPAIGN_COMPLETED = 'campaign.completed';

/**
 * The JSON body the campaign's callback URL receives once per completion: when its every number
 * has a final outcome. A campaign given new numbers runs again and completes again, with another
 * `completedAt` and so another `id`.
 */
export interface CampaignCompletedEvent {
  /** `campaign/<name>/<completedAt>`: the same on every delivery attempt (dedupe on it). */
  readonly id: string;
  readonly type: typeof CAMPAIGN_COMPLETED;
  readonly campaign: string;
  /** When the campaign completed, ms since the epoch (Redis's clock, like its status). */
  readonly completedAt: number;
  /** Numbers counted in the campaign, and those with a final outcome (equal at completion). */
  readonly total: number;
  readonly done: number;
  /** Final outcomes per status (`answered`, `busy`…), as the campaign's status counts them. */
  readonly counts: Readonly<Record<string, number>>;
}

export function campaignCompletedEventOf(notice: CampaignCompletionNotice): CampaignCompletedEvent {
  return {
    id: `campaign/${notice.campaign}/${notice.completedAt}`,
    type: CAMPAIGN_COMPLETED,
    campaign: notice.campaign,
    completedAt: notice.completedAt,
    total: notice.total,
    done: notice.done,
    counts: notice.counts,
  };
}
