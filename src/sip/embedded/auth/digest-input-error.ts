import { DialerError } from '../../../kernel/index.js';

/**
 * A caller handed the digest layer a value it must not put on the wire (CR or LF in a header
 * parameter, an nc out of range) or a bad cache option. Stable code: `SIP_DIGEST_INPUT`.
 */
export class DigestInputError extends DialerError {
  readonly code = 'SIP_DIGEST_INPUT';
  readonly field: string;

  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }
}
