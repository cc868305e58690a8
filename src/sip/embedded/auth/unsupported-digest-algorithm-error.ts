import { DialerError } from '../../../kernel/index.js';

/**
 * The server asked for a digest algorithm we cannot compute (e.g. `AKAv1-MD5`, which needs a SIM).
 * Stable code: `SIP_DIGEST_UNSUPPORTED_ALGORITHM`.
 */
export class UnsupportedDigestAlgorithmError extends DialerError {
  readonly code = 'SIP_DIGEST_UNSUPPORTED_ALGORITHM';
  /** The algorithm as the server sent it; several are joined with ", " when all were refused. */
  readonly algorithm: string;

  constructor(algorithm: string) {
    super(
      `unsupported digest algorithm: ${algorithm} (supported: SHA-512-256, SHA-256, MD5 and their -sess forms)`,
    );
    this.algorithm = algorithm;
  }
}
