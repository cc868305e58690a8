import { DialerError } from '../kernel/index.js';

/**
 * A trunk limiter, circuit or control subscriber was used after `close()`. Stable code:
 * `TRUNK_CLOSED`.
 */
export class TrunkClosedError extends DialerError {
  readonly code = 'TRUNK_CLOSED';
}
