import { DialerError } from '../../../kernel/index.js';

/**
 * A WWW-Authenticate / Proxy-Authenticate value we cannot answer: not a Digest challenge, or one
 * missing a parameter the response needs. Stable code: `SIP_DIGEST_CHALLENGE`.
 */
export class DigestChallengeError extends DialerError {
  readonly code = 'SIP_DIGEST_CHALLENGE';
  /** The challenge parameter at fault (`realm`, `nonce`, `qop`, …), or `scheme`. */
  readonly field: string;

  constructor(field: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.field = field;
  }
}
