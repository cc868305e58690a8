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
  /** Answering-machine detection of the last attempt that decided: human, machine or unknown. */
  readonly amdResult?: string;
  readonly amdReason?: string;
  /** Ms of the callee's audio the decision took. */
  readonly amdDecisionMs?: number;
  /** When the voicemail beep started, ms of the callee's audio. */
  readonly beepAtMs?: number;
  /** The caller ID the last attempt presented (a pool's pick shows here). */
  readonly callerId?: string;
  /** `true` when the last attempt withheld it (anonymous From, `Privacy: id`). */
  readonly callerIdWithheld?: boolean;
  /** STIR/SHAKEN `attest` (A, B, C) the carrier returned on the last attempt that carried one. */
  readonly attest?: string;
  /** The carrier's `verstat` on the last attempt that carried one. */
  readonly verstat?: string;
  /** The WAV of the last attempt recorded (`script.record`), and its length in ms of audio. */
  readonly recordingPath?: string;
  readonly recordingMs?: number;
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
  'amdResult',
  'amdReason',
  'amdDecisionMs',
  'beepAtMs',
  'callerId',
  'callerIdWithheld',
  'attest',
  'verstat',
  'recordingPath',
  'recordingMs',
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
    ...amdColumns(outcome.attempts),
    ...callerColumns(outcome.attempts),
    ...recordingColumns(outcome.attempts),
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
    ...callerColumns(input.attempts),
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

function recordingColumns(
  attempts: readonly AttemptRecord[],
): Pick<ResultRow, 'recordingPath' | 'recordingMs'> {
  for (let i = attempts.length - 1; i >= 0; i--) {
    const recording = attempts[i]!.recording;
    // A failed recording left no file to point to; it stays on its attempt with its error.
    if (recording !== undefined && 'durationMs' in recording) {
      return { recordingPath: recording.path, recordingMs: recording.durationMs };
    }
  }
  return {};
}

function amdColumns(
  attempts: readonly AttemptRecord[],
): Pick<ResultRow, 'amdResult' | 'amdReason' | 'amdDecisionMs' | 'beepAtMs'> {
  const amd = attempts.findLast((a) => a.amd !== undefined)?.amd;
  if (amd === undefined) return {};
  return {
    amdResult: amd.result,
    amdReason: amd.reason,
    amdDecisionMs: amd.decisionMs,
    ...(amd.beepAtMs !== undefined && { beepAtMs: amd.beepAtMs }),
  };
}

function callerColumns(
  attempts: readonly AttemptRecord[],
): Pick<ResultRow, 'callerId' | 'callerIdWithheld' | 'attest' | 'verstat'> {
  const last = attempts.at(-1);
  const attestation = attempts.findLast((a) => a.attestation !== undefined)?.attestation;
  return {
    ...(last?.callerId !== undefined && { callerId: last.callerId }),
    ...(last?.callerIdWithheld === true && { callerIdWithheld: true }),
    ...(attestation?.attest !== undefined && { attest: attestation.attest }),
    ...(attestation?.verstat !== undefined && { verstat: attestation.verstat }),
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
