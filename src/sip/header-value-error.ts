import { DialerError } from '../kernel/index.js';

/** A header name or value that would break the message (CR, LF, NUL) or is not a token. Code: `SIP_INVALID_HEADER`. */
export class HeaderValueError extends DialerError {
  readonly code = 'SIP_INVALID_HEADER';
  constructor(
    readonly field: string,
    readonly value: string,
    reason: string,
  ) {
    super(`header ${field}: ${reason} (${JSON.stringify(value.slice(0, 80))})`);
  }
}
