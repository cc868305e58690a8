import { DialerError } from '../kernel/index.js';

/**
 * A status callback the receiver did not accept (non-2xx, timeout, connection refused). The
 * message names the URL's origin only: a path or query may carry the receiver's own token.
 * Code: `CALLBACK_DELIVERY_FAILED`.
 */
export class CallbackDeliveryError extends DialerError {
  readonly code = 'CALLBACK_DELIVERY_FAILED';

  constructor(
    readonly origin: string,
    readonly status: number | undefined,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`status callback to ${origin} failed: ${reason}`, options);
  }
}
