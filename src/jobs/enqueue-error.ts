import { DialerError } from '../kernel/index.js';

/** A job refused at enqueue: `field` names what was wrong, `value` what was given. Code: `JOB_INVALID`. */
export class EnqueueError extends DialerError {
  readonly code = 'JOB_INVALID';
  constructor(
    readonly field: string,
    readonly value: unknown,
    reason: string,
  ) {
    super(`${field} ${JSON.stringify(typeof value === 'string' ? value.slice(0, 100) : value)}: ${reason}`);
  }
}
