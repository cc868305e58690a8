/** Why a job was put back before dialing, as a bounded label value. */
export type DeferralCause =
  'pace' | 'channels' | 'circuit' | 'calling-hours' | 'campaign-paused' | 'daily-cap' | 'live-call' | 'other';

const CAUSES: ReadonlyArray<readonly [RegExp, DeferralCause]> = [
  [/^trunk pace/, 'pace'],
  [/channels busy/, 'channels'],
  [/^trunk circuit/, 'circuit'],
  [/calling hours/, 'calling-hours'],
  [/campaign paused/, 'campaign-paused'],
  [/daily attempt cap/, 'daily-cap'],
  [/live call/, 'live-call'],
];

/**
 * Maps the gate's free-text reason ("outside calling hours in Europe/Paris") to one of a few
 * causes: a label built from the text itself would grow a series per time zone and campaign.
 */
export function deferralCause(reason: string): DeferralCause {
  for (const [pattern, cause] of CAUSES) if (pattern.test(reason)) return cause;
  return 'other';
}
