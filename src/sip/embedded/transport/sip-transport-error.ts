import { DialerError } from '../../../kernel/index.js';

/** A message could not be sent or a connection failed. Stable code: `SIP_TRANSPORT`. */
export class SipTransportError extends DialerError {
  readonly code = 'SIP_TRANSPORT';
}
