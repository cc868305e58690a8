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
  /**
   * An answered call with answering-machine detection: `machine` when it met one and hung up,
   * `voicemail-left` when it left the message. Absent: a person (or detection off).
   */
  readonly answeredBy?: 'machine' | 'voicemail-left';
  /**
   * A special information tone heard in early media or after the answer: `vacant`, `intercept`,
   * `no-circuit`, `reorder`, `unknown-sit`. It decides the retry whatever the final SIP code.
   */
  readonly sit?: string;
  /**
   * The stable code of a failure no carrier answer carries, when it says the trunk (not the
   * number) is at fault: `TLS_CERTIFICATE_REJECTED` (the carrier's certificate does not verify;
   * no INVITE left). It decides the retry whatever the status. `SRTP_NEGOTIATION_FAILED`: the
   * far end answered without SRTP we accept while the trunk requires it; we hung up at once.
   */
  readonly errorCode?: 'TLS_CERTIFICATE_REJECTED' | 'SRTP_NEGOTIATION_FAILED';
  /** Reason phrase or error message. Searched for rate-limit hints. */
  readonly reason?: string;
}
