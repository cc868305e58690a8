import { DialerError } from '../kernel/index.js';

/** A client address that sent too many wrong tokens lately: 429. Code: `TOO_MANY_FAILED_LOGINS`. */
export class TooManyFailedLoginsError extends DialerError {
  readonly code = 'TOO_MANY_FAILED_LOGINS';

  constructor(
    readonly address: string,
    readonly retryAfterS: number,
  ) {
    super(`too many failed logins from ${address}; retry in ${retryAfterS}s`);
  }
}
