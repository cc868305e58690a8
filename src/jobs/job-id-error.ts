import { DialerError } from '../kernel/index.js';

/** Input a job id cannot be built from. Code: `JOB_ID_INVALID`. */
export class JobIdError extends DialerError {
  readonly code = 'JOB_ID_INVALID';

  constructor(
    readonly field: string,
    readonly value: unknown,
    reason: string,
  ) {
    super(`${field} ${JSON.stringify(typeof value === 'string' ? value.slice(0, 100) : value)}: ${reason}`);
  }
}
