import type { AttemptRecord, CallOutcome } from '../jobs/index.js';
import type { FinalStatus } from '../jobs/index.js';

/** Where a number without a final outcome is: on a call, waiting for a retry, parked, or queued. */
export type PendingState = 'active' | 'delayed' | 'parked' | 'waiting';

/**
 * One number of a campaign in a results export (`dialer campaign results`, `GET
 * /v1/campaigns/:name/outcomes`). Times are ISO 8601 (UTC); durations are ms.
 */
export interface ResultRow {
  /** E.164. */
  readonly number: string;
  readonly jobId: string;
  /** The final status, or `pending` while the number has none yet. */
  readonly status: FinalStatus | 'pending';
  /** Why it ended so (`486 Busy Here`…), or the pending state. */
  readonly reason: string;
  /** Calls placed (dial-format fallbacks within one attempt count once). */
  readonly attempts: number;
  /** SIP code of the last attempt that got one. */
  readonly sipCode?: number;
  readonly enqueuedAt?: string;
  readonly firstAttemptAt?: string;
  readonly completedAt?: string;
  /** Post-dial delay (INVITE to first ringing or answer) of the last attempt that measured it. */
  readonly postDialDelayMs?: number;
  /** INVITE to answer, of the last attempt that was answered. */
  readonly setupMs?: number;
  readonly talkMs?: number;
  /** DTMF collected, if the call script asked for it. */
  readonly digits?: string;
}

/** Column order of the CSV export; every `ResultRow` key, in this order. */
export const RESULT_COLUMNS = Object.freeze([
  'number',
  'jobId',
  'status',
  'reason',
  'attempts',
  'sipCode',
  'enqueuedAt',
  'firstAttemptAt',
  'completedAt',
  'postDialDelayMs',
  'setupMs',
  'talkMs',
  'digits',
] as const satisfies ReadonlyArray<keyof ResultRow>);

/** The row of a number that has its final outcome. */
export function resultRowFromOutcome(outcome: CallOutcome): ResultRow {
  const timings = attemptFigures(outcome.attempts);
  const talkMs = outcome.talkMs ?? timings.talkMs;
  return {
    number: outcome.to,
    jobId: outcome.jobId,
    status: outcome.status,
    reason: outcome.reason,
    attempts: timings.attempts,
    ...(timings.sipCode !== undefined && { sipCode: timings.sipCode }),
    enqueuedAt: iso(outcome.enqueuedAt),
    ...(timings.firstAttemptAt !== undefined && { firstAttemptAt: iso(timings.firstAttemptAt) }),
    completedAt: iso(outcome.completedAt),
    ...(timings.postDialDelayMs !== undefined && { postDialDelayMs: timings.postDialDelayMs }),
    ...(timings.setupMs !== undefined && { setupMs: timings.setupMs }),
    ...(talkMs !== undefined && { talkMs }),
    ...(outcome.digits !== undefined && { digits: outcome.digits }),
  };
}

/** The row of a number still in the queue, with the attempts made so far. */
export function pendingResultRow(input: {
  readonly jobId: string;
  readonly number: string;
  readonly state: PendingState;
  readonly enqueuedAt?: number;
  readonly attempts: readonly AttemptRecord[];
}): ResultRow {
  const timings = attemptFigures(input.attempts);
  return {
    number: input.number,
    jobId: input.jobId,
    status: 'pending',
    reason: input.state,
    attempts: timings.attempts,
    ...(timings.sipCode !== undefined && { sipCode: timings.sipCode }),
    ...(input.enqueuedAt !== undefined && { enqueuedAt: iso(input.enqueuedAt) }),
    ...(timings.firstAttemptAt !== undefined && { firstAttemptAt: iso(timings.firstAttemptAt) }),
    ...(timings.postDialDelayMs !== undefined && { postDialDelayMs: timings.postDialDelayMs }),
    ...(timings.setupMs !== undefined && { setupMs: timings.setupMs }),
    ...(timings.talkMs !== undefined && { talkMs: timings.talkMs }),
  };
}

function attemptFigures(attempts: readonly AttemptRecord[]): {
  attempts: number;
  sipCode?: number;
  firstAttemptAt?: number;
  postDialDelayMs?: number;
  setupMs?: number;
  talkMs?: number;
} {
  let sipCode: number | undefined;
  let firstAttemptAt: number | undefined;
  let postDialDelayMs: number | undefined;
  let setupMs: number | undefined;
  let talkMs: number | undefined;
  const numbers = new Set<number>();
  for (const a of attempts) {
    numbers.add(a.attempt);
    if (firstAttemptAt === undefined || a.startedAt < firstAttemptAt) firstAttemptAt = a.startedAt;
    if (a.sipCode !== undefined) sipCode = a.sipCode;
    if (a.postDialDelayMs !== undefined) postDialDelayMs = a.postDialDelayMs;
    if (a.setupMs !== undefined) setupMs = a.setupMs;
    if (a.talkMs !== undefined) talkMs = a.talkMs;
  }
  return {
    attempts: numbers.size,
    ...(sipCode !== undefined && { sipCode }),
    ...(firstAttemptAt !== undefined && { firstAttemptAt }),
    ...(postDialDelayMs !== undefined && { postDialDelayMs }),
    ...(setupMs !== undefined && { setupMs }),
    ...(talkMs !== undefined && { talkMs }),
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
