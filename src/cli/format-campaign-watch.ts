import type { CampaignStatus } from '../jobs/index.js';
import { progressBar } from './progress-reporter.js';

/** What two readings of a campaign a second or so apart say about its speed. */
export interface CampaignRates {
  /** INVITEs per second (attempts counted at their outcomes). */
  readonly invitesPerSecond: number;
  /** Numbers reaching their final outcome per second. */
  readonly donePerSecond: number;
}

/** The rates between two readings `seconds` apart. */
export function campaignRates(before: CampaignStatus, after: CampaignStatus, seconds: number): CampaignRates {
  const s = Math.max(seconds, 0.001);
  return {
    invitesPerSecond: Math.max(0, after.attempts - before.attempts) / s,
    donePerSecond: Math.max(0, after.total - after.pending - (before.total - before.pending)) / s,
  };
}

/** `campaign status --watch`'s block: state and progress, rates and ETA, counts per status. */
export function formatCampaignWatch(status: CampaignStatus, rates: CampaignRates | undefined): string[] {
  const done = status.total - status.pending;
  const eta =
    rates === undefined || status.pending === 0
      ? '–'
      : rates.donePerSecond > 0
        ? formatSeconds(status.pending / rates.donePerSecond)
        : 'unknown (nothing finished in the last reading)';
  const counts = Object.entries(status.byStatus)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${s} ${n}`);
  return [
    `campaign ${status.name}: ${status.state}  ${progressBar(done / Math.max(1, status.total))}  ${done}/${status.total} done, ${status.pending} pending`,
    `  ${rates ? rates.invitesPerSecond.toFixed(1) : '–'} INVITEs/s  ${rates ? rates.donePerSecond.toFixed(1) : '–'} numbers done/s  ETA ${eta}`,
    `  ${counts.length > 0 ? counts.join(', ') : 'no final outcome yet'}`,
  ];
}

function formatSeconds(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}
