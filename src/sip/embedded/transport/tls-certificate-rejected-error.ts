import { DialerError } from '../../../kernel/index.js';

/**
 * OpenSSL's X509 verification results as Node names them, and Node's own name check: the
 * carrier's certificate is the problem (not the network), so it is never retried without TLS.
 */
const VERIFY_FAILURES = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * A carrier presented a certificate we do not trust (not signed by a CA we know, for another
 * name, expired). Stable code: `TLS_CERTIFICATE_REJECTED`. Names the trunk and the reason.
 */
export class TlsCertificateRejectedError extends DialerError {
  readonly code = 'TLS_CERTIFICATE_REJECTED';
  readonly trunk: string;
  /** OpenSSL's or Node's code for what was wrong: `CERT_HAS_EXPIRED`, `ERR_TLS_CERT_ALTNAME_INVALID`… */
  readonly reason: string;

  constructor(init: {
    trunk: string;
    remote: string;
    identity: string;
    reason: string;
    detail: string;
    cause?: unknown;
  }) {
    super(
      `trunk ${init.trunk}: TLS certificate of ${init.remote} rejected (expected ${JSON.stringify(init.identity)}): ${init.detail} [${init.reason}]`,
      init.cause === undefined ? undefined : { cause: init.cause },
    );
    this.trunk = init.trunk;
    this.reason = init.reason;
  }

  /** The verification code of a handshake error that is about the peer's certificate, else undefined. */
  static verifyFailureOf(error: unknown): string | undefined {
    const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
    return typeof code === 'string' && VERIFY_FAILURES.has(code) ? code : undefined;
  }
}
