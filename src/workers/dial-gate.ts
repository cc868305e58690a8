import type { FinalStatus } from '../jobs/index.js';
import type { DialJob } from '../jobs/index.js';
import type { TrunkSignal } from '../jobs/index.js';

/** What the checks before a dial decided. */
export type GateVerdict =
  /**
   * Dial now; `release()` gives back the channel (and anything else held) when the attempt ends.
   * `nextStart()` waits for the trunk's pace before a further INVITE on the same channel (the
   * next dial format after a 404): every INVITE the carrier sees counts against its calls/s.
   */
  | { readonly kind: 'go'; release(): Promise<void>; nextStart(signal: AbortSignal): Promise<void> }
  /** Not now: the job waits (BullMQ delayed) until `until` (ms since the epoch). Not an attempt. */
  | { readonly kind: 'delay'; readonly until: number; readonly reason: string; readonly parkedIn?: string }
  /** Never: the job ends with this status (DNC → blocked, cancelled campaign → cancelled). */
  | { readonly kind: 'final'; readonly status: FinalStatus; readonly reason: string };

/**
 * Everything checked when a job is taken, before an INVITE may go out: campaign state, DNC,
 * calling hours, the daily cap, the trunk's circuit, its fleet-wide pace and channels.
 */
export interface DialGate {
  check(job: DialJob, jobId: string): Promise<GateVerdict>;
}

export interface TrunkReportDetail {
  readonly reason: string;
  readonly retryAfterMs?: number;
  /** The number dialled: auth strikes count different numbers. */
  readonly number?: string;
  /** The job, kept aside to be dialled again at once when the trunk's circuit closes. */
  readonly jobId?: string;
}

/** What an attempt tells the trunk (circuit breaker and pace). */
export interface TrunkFeedback {
  report(signal: TrunkSignal, detail: TrunkReportDetail): Promise<void>;
  /** When a held job (circuit open) may come back. */
  holdUntil(): Promise<number>;
}
