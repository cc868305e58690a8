import { DialerError } from '../../kernel/index.js';

/** A trunk's TLS files cannot be used (missing, unreadable, not PEM). Stable code: `TLS_CONFIG`. */
export class TlsConfigError extends DialerError {
  readonly code = 'TLS_CONFIG';
  readonly trunk: string;
  /** The `tls` field at fault: `ca`, `cert` or `key`. */
  readonly field: string;

  constructor(trunk: string, field: string, problem: string, cause?: unknown) {
    super(`trunk ${trunk}: tls.${field}: ${problem}`, cause === undefined ? undefined : { cause });
    this.trunk = trunk;
    this.field = field;
  }
}
