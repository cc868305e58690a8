import { DialerError } from '../kernel/index.js';

/**
 * Redis did not answer in time or refused us (wrong password, not a Redis). The message names the
 * URL with its password masked. Stable code: `REDIS_UNREACHABLE`.
 */
export class RedisUnreachableError extends DialerError {
  readonly code = 'REDIS_UNREACHABLE';
}
