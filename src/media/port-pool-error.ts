import { DialerError } from '../kernel/index.js';

/**
 * The RTP port pool could not be opened or used: an invalid range, nothing in the range could be
 * bound, a bind failed for a reason other than "port taken", or the pool is closed.
 * Stable code: `MEDIA_PORT_POOL`.
 */
export class PortPoolError extends DialerError {
  readonly code = 'MEDIA_PORT_POOL';
}
