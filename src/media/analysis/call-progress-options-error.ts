import { DialerError } from '../../kernel/index.js';

/**
 * A call progress analyzer given a bad option (a negative duration, a threshold out of range) or
 * a frame of the wrong size; the message names the field and value. Stable code:
 * `CALL_PROGRESS_OPTIONS`.
 */
export class CallProgressOptionsError extends DialerError {
  readonly code = 'CALL_PROGRESS_OPTIONS';
}
