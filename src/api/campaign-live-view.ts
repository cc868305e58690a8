import { FINAL_STATUSES } from '../jobs/index.js';
import type { CampaignAmdCounts } from './campaign-amd-counts.js';
import type { CampaignBacklog } from './campaign-backlog.js';
import { PDD_NOW_WINDOW_MS, type CampaignRate } from './campaign-rates.js';
import type { CampaignSummary } from './campaign-summary.js';
import { formatEta } from './format-eta.js';

/** Everything on a campaign page that moves while it runs. */
export interface CampaignFigures {
  readonly summary: CampaignSummary;
  readonly backlog: CampaignBacklog;
  readonly amd: CampaignAmdCounts;
  /** Absent when nothing of the campaign finished within the rates' windows (a minute, five for PDD). */
  readonly rate?: CampaignRate;
}

/** What the page's script polls for: texts and bar widths by `data-testid`, and the state. */
export interface CampaignLiveView {
  readonly state: string;
  readonly fields: Readonly<Record<string, string>>;
  readonly widths: Readonly<Record<string, string>>;
}

/**
 * The moving figures of a campaign page as text, by the `data-testid` each is shown under. The page
 * renders from this and `/campaigns/:name/live.json` serves it, so a live update and a reload
 * always show the same thing.
 */
export function campaignLiveView(figures: CampaignFigures): CampaignLiveView {
  const { summary: s, backlog: b, amd, rate } = figures;
  const progress = s.total > 0 ? s.done / s.total : 0;
  const maxCount = Math.max(1, ...FINAL_STATUSES.map((st) => s.byStatus[st]));
  const fields: Record<string, string> = {
    progress: `${s.done} of ${s.total} numbers done (${(100 * progress).toFixed(1)}%), ${s.pending} pending`,
    total: String(s.total),
    done: String(s.done),
    pending: String(s.pending),
    attempts: String(s.attempts),
    'answer-rate': s.answerRate === null ? '–' : `${(100 * s.answerRate).toFixed(1)}%`,
    cps: (rate?.callsPerS ?? 0).toFixed(2),
    eta:
      s.state === 'running' ? formatEta(s.pending, rate?.numbersPerS ?? 0) : s.pending === 0 ? 'done' : '–',
    'pending-waiting': String(b.waiting),
    'pending-active': String(b.active),
    'pending-retrying': String(b.retrying),
    'pending-held': String(b.held),
    'pending-parked': String(b.parked),
    'amd-human': String(amd.human),
    'amd-machine': String(amd.machine),
    'amd-unknown': String(amd.unknown),
    'pdd-now': rate?.postDialDelay === undefined ? '–' : `${rate.postDialDelay.p50Ms} ms`,
    'pdd-now-note': `median, last ${PDD_NOW_WINDOW_MS / 60_000} min · ${rate?.postDialDelay?.samples ?? 0} call${rate?.postDialDelay?.samples === 1 ? '' : 's'}`,
  };
  const widths: Record<string, string> = { 'progress-bar': `${(100 * progress).toFixed(1)}%` };
  for (const status of FINAL_STATUSES) {
    const n = s.byStatus[status];
    fields[`count-${status}`] = String(n);
    fields[`share-${status}`] = s.done > 0 ? `${((100 * n) / s.done).toFixed(1)}%` : '–';
    widths[`bar-${status}`] = `${((100 * n) / maxCount).toFixed(1)}%`;
  }
  return { state: s.state, fields, widths };
}
