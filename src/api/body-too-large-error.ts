import { DialerError } from '../kernel/index.js';

/** A request body over `api.bodyLimit`: 413. Code: `BODY_TOO_LARGE`. */
export class BodyTooLargeError extends DialerError {
  readonly code = 'BODY_TOO_LARGE';

  constructor(readonly limitBytes: number) {
    super(`request body is larger than the limit of ${limitBytes} bytes (api.bodyLimit)`);
  }
}
