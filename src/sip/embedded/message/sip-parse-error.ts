import { DialerError } from '../../../kernel/index.js';

/** Bytes that are not a SIP message we accept, or a header value that does not parse. Stable code: `SIP_PARSE_ERROR`. */
export class SipParseError extends DialerError {
  readonly code = 'SIP_PARSE_ERROR';
  /** What was wrong, naming the field and (a bounded, escaped excerpt of) the value. */
  readonly reason: string;

  constructor(reason: string, options?: { cause?: unknown }) {
    super(`malformed SIP: ${reason}`, options);
    this.reason = reason;
  }
}
