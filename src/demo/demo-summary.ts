import type { CallOutcome } from '../jobs/index.js';
import { FINAL_STATUSES, type FinalStatus } from '../jobs/index.js';

export interface DemoSummary {
  readonly numbers: number;
  readonly byStatus: Readonly<Record<FinalStatus, number>>;
  /** Every INVITE sent, retries and dial format fallbacks included. */
  readonly invites: number;
  /** INVITEs in the `+…` form the carrier refused with 404 before the digits form was tried. */
  readonly formatFallbacks: number;
  readonly seconds: number;
  readonly callsPerSecond: number;
  readonly answerRate: number;
  /** ms, over attempts that rang. */
  readonly postDialDelayMs: { readonly p50?: number; readonly p95?: number; readonly samples: number };
  readonly setupMs: { readonly p50?: number; readonly p95?: number };
}

function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Figures of a finished campaign, from its outcomes and how long it took. */
export function summarizeOutcomes(outcomes: readonly CallOutcome[], seconds: number): DemoSummary {
  const byStatus = Object.fromEntries(FINAL_STATUSES.map((s) => [s, 0])) as Record<FinalStatus, number>;
  const pdd: number[] = [];
  const setup: number[] = [];
  let invites = 0;
  let formatFallbacks = 0;
  for (const outcome of outcomes) {
    byStatus[outcome.status] += 1;
    for (const attempt of outcome.attempts) {
      invites += 1;
      if (attempt.sipCode === 404 && attempt.uri.startsWith('sip:+')) formatFallbacks += 1;
      if (attempt.postDialDelayMs !== undefined) pdd.push(attempt.postDialDelayMs);
      if (attempt.setupMs !== undefined) setup.push(attempt.setupMs);
    }
  }
  pdd.sort((a, b) => a - b);
  setup.sort((a, b) => a - b);
  return {
    numbers: outcomes.length,
    byStatus,
    invites,
    formatFallbacks,
    seconds,
    callsPerSecond: seconds > 0 ? invites / seconds : 0,
    answerRate: outcomes.length > 0 ? byStatus.answered / outcomes.length : 0,
    postDialDelayMs: { p50: percentile(pdd, 50), p95: percentile(pdd, 95), samples: pdd.length },
    setupMs: { p50: percentile(setup, 50), p95: percentile(setup, 95) },
  };
}

const ms = (value: number | undefined): string => (value === undefined ? 'n/a' : `${Math.round(value)} ms`);
const pct = (value: number): string => `${(value * 100).toFixed(1)}%`;

/** The closing table: numbers per final status with their share, then the figures. */
export function formatSummary(summary: DemoSummary): string {
  const rows = FINAL_STATUSES.filter((s) => summary.byStatus[s] > 0).map((s) => [
    s,
    String(summary.byStatus[s]),
    pct(summary.numbers > 0 ? summary.byStatus[s] / summary.numbers : 0),
  ]);
  rows.push(['total', String(summary.numbers), pct(summary.numbers > 0 ? 1 : 0)]);
  const header = ['status', 'numbers', 'share'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [
    line(header),
    rule,
    ...rows.slice(0, -1).map(line),
    rule,
    line(rows.at(-1)!),
    '',
    `INVITEs/s:        ${summary.callsPerSecond.toFixed(1)} (${summary.invites} INVITEs in ${summary.seconds.toFixed(1)} s, ${summary.formatFallbacks} of them +E.164 refused with 404 then redialed as digits)`,
    `post-dial delay:  p50 ${ms(summary.postDialDelayMs.p50)}, p95 ${ms(summary.postDialDelayMs.p95)} (${summary.postDialDelayMs.samples} answered calls)`,
    `setup time:       p50 ${ms(summary.setupMs.p50)}, p95 ${ms(summary.setupMs.p95)}`,
    `answer rate:      ${pct(summary.answerRate)}`,
  ].join('\n');
}
