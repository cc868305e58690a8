import { DialerError } from '../kernel/index.js';

/**
 * SRTP could not be agreed with the far end: the answer to our `RTP/SAVP` offer (or to one made
 * under `media.srtp: required`) has no `a=crypto` line we accept, or names a tag we did not offer.
 * The message says why, never a key. Stable code: `SRTP_NEGOTIATION_FAILED`.
 */
export class SrtpNegotiationError extends DialerError {
  readonly code = 'SRTP_NEGOTIATION_FAILED';
}
