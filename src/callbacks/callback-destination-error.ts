import { DialerError } from '../kernel/index.js';

/**
 * A status callback aimed at a non-public address (loopback, a private network, the cloud
 * metadata service…) that `callbacks.allowPrivate` does not name. Permanent: the event is given
 * up at once, never retried. The message names the URL's origin only, never its path or query.
 * Code: `CALLBACK_DESTINATION_REFUSED`.
 */
export class CallbackDestinationError extends DialerError {
  readonly code = 'CALLBACK_DESTINATION_REFUSED';

  constructor(
    readonly origin: string,
    readonly address: string,
    readonly range: string,
  ) {
    super(
      `status callback to ${origin} refused: ${address} is ${range}; name it in callbacks.allowPrivate to allow it`,
    );
  }
}
