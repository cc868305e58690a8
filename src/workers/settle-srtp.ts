import { parseSdpAnswer, SrtpNegotiationError, type SdpAnswer, type SrtpKeys } from '../media/index.js';
import { srtpKeysOf } from './srtp-keys-of.js';
import { srtpOffered, type SrtpOffer } from './srtp-offer.js';

/** What the 2xx's SDP settles for SRTP, once per call: its keys, or why the call cannot go on. */
export function settleSrtp(
  remoteSdp: string,
  srtp: SrtpOffer,
): { readonly keys: SrtpKeys | undefined } | { readonly refused: SrtpNegotiationError } {
  if (srtp.offered === undefined) return { keys: undefined };
  let answer: SdpAnswer;
  try {
    answer = parseSdpAnswer(remoteSdp, srtpOffered(srtp));
  } catch {
    return { keys: undefined }; // an unusable SDP is the call-without-media path (startSession says so)
  }
  try {
    return { keys: srtpKeysOf(answer, srtp) };
  } catch (error) {
    if (error instanceof SrtpNegotiationError) return { refused: error };
    throw error;
  }
}
