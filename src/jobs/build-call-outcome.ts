import type { AttemptRecord, CallOutcome } from './call-outcome.js';
import type { DialJob } from './dial-job.js';
import type { FinalStatus } from './final-status.js';

/** What a job's final outcome is made of. */
export interface CallOutcomeParts {
  readonly jobId: string;
  readonly job: DialJob;
  readonly status: FinalStatus;
  readonly reason: string;
  readonly attempts: readonly AttemptRecord[];
  /** Default: now. */
  readonly completedAt?: number;
}

/**
 * The one place a final outcome is made, whichever way the job ended (the retry policy's verdict,
 * or BullMQ giving up on a job the worker kept failing on): talk time, digits and the answering-
 * machine verdict are read off the attempts the same way for both.
 */
export function buildCallOutcome(parts: CallOutcomeParts): CallOutcome {
  const { job, attempts } = parts;
  const answered200 = (a: AttemptRecord): boolean => a.sipCode === 200 && a.state === 'done';
  // The person's call, when one was reached: a machine answered first (and was retried) must not
  // lend the outcome its talk time and digits. With no person, the first answered attempt.
  const answered = attempts.find((a) => answered200(a) && a.noPerson !== true) ?? attempts.find(answered200);
  const amd = attempts.findLast((a) => a.amd !== undefined)?.amd;
  return {
    jobId: parts.jobId,
    to: job.number,
    trunk: job.trunk,
    ...(job.campaign !== undefined ? { campaign: job.campaign } : {}),
    status: parts.status,
    reason: parts.reason,
    attempts,
    enqueuedAt: job.enqueuedAt,
    completedAt: parts.completedAt ?? Date.now(),
    ...(job.metadata !== undefined ? { metadata: job.metadata } : {}),
    ...(answered?.talkMs !== undefined ? { talkMs: answered.talkMs } : {}),
    ...(answered?.digits !== undefined ? { digits: answered.digits } : {}),
    ...(amd !== undefined ? { amd } : {}),
  };
}
