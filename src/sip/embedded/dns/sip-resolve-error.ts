import { DialerError } from '../../../kernel/index.js';

/** A SIP target (proxy or domain) that resolved to no address. Stable code: `SIP_RESOLVE`. */
export class SipResolveError extends DialerError {
  readonly code = 'SIP_RESOLVE';
  /** The host that did not resolve, as written in the target. */
  readonly host: string;

  constructor(host: string, reason: string, options?: { cause?: unknown }) {
    super(`cannot resolve SIP host ${JSON.stringify(host)}: ${reason}`, options);
    this.host = host;
  }
}
