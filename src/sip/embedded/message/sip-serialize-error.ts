import { DialerError } from '../../../kernel/index.js';

/**
 * A message we were asked to send that would not be one message on the wire (a CR, LF or NUL in a
 * header value, a header name that is not a token, …). Stable code: `SIP_SERIALIZE_ERROR`.
 */
export class SipSerializeError extends DialerError {
  readonly code = 'SIP_SERIALIZE_ERROR';
  readonly field: string;

  constructor(field: string, reason: string) {
    super(`cannot serialize SIP ${field}: ${reason}`);
    this.field = field;
  }
}
