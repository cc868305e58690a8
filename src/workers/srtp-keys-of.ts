import { acceptSrtpAnswer, SrtpNegotiationError, type SdpAnswer, type SrtpKeys } from '../media/index.js';
import type { SrtpOffer } from './srtp-offer.js';

/**
 * The keys an answer settles, or undefined for plain RTP (mode off, or optional and answered
 * without crypto). Throws `SrtpNegotiationError` when SRTP was required (by us, or by an
 * RTP/SAVP answer) and the answer's crypto is missing or not ours to accept.
 */
export function srtpKeysOf(answer: SdpAnswer, srtp: SrtpOffer): SrtpKeys | undefined {
  if (srtp.offered === undefined) return undefined;
  if (answer.crypto === undefined && srtp.mode === 'optional' && answer.savp !== true) return undefined;
  try {
    return acceptSrtpAnswer(srtp.offered, answer.crypto ?? []);
  } catch (error) {
    // Optional: a crypto line we cannot use on an RTP/AVP answer still leaves plain RTP.
    if (error instanceof SrtpNegotiationError && srtp.mode === 'optional' && answer.savp !== true)
      return undefined;
    throw error;
  }
}
