import { DialerError } from '../kernel/index.js';

/** `waitForOutcome` gave up. The job is still queued or live. Code: `OUTCOME_TIMEOUT`. */
export class OutcomeTimeoutError extends DialerError {
  readonly code = 'OUTCOME_TIMEOUT';
  constructor(
    readonly jobId: string,
    timeoutMs: number,
  ) {
    super(`no final outcome for job ${jobId} within ${timeoutMs} ms`);
  }
}
