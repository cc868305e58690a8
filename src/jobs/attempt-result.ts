/** Where an attempt failed; same meaning as the SIP engine's failure phase. */
export type AttemptPhase = 'resolve' | 'transport' | 'auth' | 'setup' | 'ringing';

/**
 * What one INVITE attempt came to, in terms the retry policy needs and nothing of the SIP wire:
 * the worker fills it from the engine's call leg or `SipFailure`.
 */
export interface AttemptResult {
  /** `sip-failure`: a final non-2xx (or one the engine synthesised); `error`: anything else that went wrong. */
  readonly kind: 'answered' | 'sip-failure' | 'error';
  /** SIP status code, when there is one. */
  readonly status?: number;
  readonly phase?: AttemptPhase;
  /** True when no response carried `status`: the engine made it up (transport timeout 408, 503). */
  readonly local?: boolean;
  /** Why we sent CANCEL, when we did. */
  readonly cancelCause?: 'ring-timeout' | 'aborted';
  /** From the response's Retry-After, ms. */
  readonly retryAfterMs?: number;
  /**
   * The request that got `status` carried our credentials: a 403 then points at the trunk's
   * account (wrong password, "Not Registered") rather than at the number.
   */
  readonly afterCredentials?: boolean;
  /** Reason phrase or error message. Searched for rate-limit hints. */
  readonly reason?: string;
}
