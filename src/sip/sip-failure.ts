import { DialerError } from '../kernel/index.js';

/**
 * Where in the life of a request it failed:
 * - `resolve`: the carrier's address could not be resolved;
 * - `transport`: nothing came back (timer B/F) or the connection failed; `status` is a local 408/503;
 * - `auth`: the carrier rejected the credentials we sent (401/407 after a fresh challenge);
 * - `setup`: a final response before any provisional response;
 * - `ringing`: a final response after a provisional (including 487 after our CANCEL).
 */
export type SipFailurePhase = 'resolve' | 'transport' | 'auth' | 'setup' | 'ringing';

/** Why we sent CANCEL, when we did. */
export type CancelCause = 'ring-timeout' | 'aborted';

export interface SipFailureInit {
  status: number;
  reason: string;
  phase: SipFailurePhase;
  headers?: Readonly<Record<string, string>>;
  retryAfterMs?: number;
  /** True when no response carried this status: the engine synthesised it (timeout, transport). */
  local?: boolean;
  cancelCause?: CancelCause;
  /** Digest algorithm the carrier asked for that the engine cannot compute, when that is the cause. */
  unsupportedAlgorithm?: string;
  /** The request that got this response carried our credentials (Authorization or Proxy-Authorization). */
  afterCredentials?: boolean;
  cause?: unknown;
}

/** A request (REGISTER or INVITE) that ended without success. Stable code: `SIP_FAILURE`. */
export class SipFailure extends DialerError {
  readonly code = 'SIP_FAILURE';
  readonly status: number;
  readonly reason: string;
  readonly phase: SipFailurePhase;
  /** Headers of the final response, names lower-cased. Empty for local failures. */
  readonly headers: Readonly<Record<string, string>>;
  readonly retryAfterMs: number | undefined;
  readonly local: boolean;
  readonly cancelCause: CancelCause | undefined;
  readonly unsupportedAlgorithm: string | undefined;
  /**
   * True when the request that got this response carried our credentials: a 403 then says more
   * about the trunk's account (wrong password, "Not Registered") than about the number.
   */
  readonly afterCredentials: boolean;

  constructor(init: SipFailureInit) {
    super(
      `${init.status} ${init.reason} (${init.phase}${init.cancelCause ? `, ${init.cancelCause}` : ''})`,
      init.cause === undefined ? undefined : { cause: init.cause },
    );
    this.status = init.status;
    this.reason = init.reason;
    this.phase = init.phase;
    this.headers = Object.freeze({ ...(init.headers ?? {}) });
    this.retryAfterMs = init.retryAfterMs;
    this.local = init.local ?? false;
    this.cancelCause = init.cancelCause;
    this.unsupportedAlgorithm = init.unsupportedAlgorithm;
    this.afterCredentials = init.afterCredentials ?? false;
  }
}
