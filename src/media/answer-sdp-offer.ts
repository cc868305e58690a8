import { parse } from 'sdp-transform';
import {
  buildSdpOffer,
  parseSdpAnswer,
  reviseSdp,
  type G711Codec,
  type SdpAnswer,
  type SdpDirection,
} from './sdp.js';
import { SdpError } from './sdp-error.js';

/** Our answer to an offer the far end made in the dialog, and where its media now is. */
export interface SdpOfferAnswer {
  /** Our SDP answer: `ours` itself when nothing changed, else with its o= version bumped. */
  readonly sdp: string;
  /** The far end's media as the offer describes it (address, port, codec we chose, direction). */
  readonly remote: SdpAnswer;
}

/** RFC 3264 §6.1: the answer's direction mirrors the offer's. */
const MIRRORED: Readonly<Record<SdpDirection, SdpDirection>> = {
  sendrecv: 'sendrecv',
  sendonly: 'recvonly',
  recvonly: 'sendonly',
  inactive: 'inactive',
};

/**
 * Answers an offer the far end makes inside the dialog (an UPDATE before the answer, RFC 3311;
 * a re-INVITE or UPDATE after it, RFC 3261 §14) from the SDP we last sent, `ours`: same address,
 * port and session id, the first codec of the offer we can use (`codecs`: default PCMU and PCMA),
 * telephone-event at the offer's payload type when it has one. Throws `SdpError` when the offer
 * cannot be accepted (no codec in common, stream refused, not RTP/AVP): the caller answers 488
 * and the session stays as it was (RFC 3261 §14.2).
 */
export function answerSdpOffer(
  offer: string,
  ours: string,
  codecs: readonly G711Codec[] = ['PCMU', 'PCMA'],
): SdpOfferAnswer {
  const remote = parseSdpAnswer(offer, { codecs, telephoneEvent: true });
  const local = parse(ours);
  const audio = local.media.find((m) => m.type === 'audio');
  const address = String((audio?.connection ?? local.connection)?.ip ?? '');
  if (audio === undefined || address === '') {
    throw new SdpError('cannot answer the offer: our own SDP has no audio stream or c= line');
  }
  const ptime = Number(audio.ptime);
  const built = buildSdpOffer({
    address,
    rtpPort: audio.port,
    sessionId: String(local.origin?.sessionId ?? '1'),
    sessionVersion: Number(local.origin?.sessionVersion ?? 0),
    codecs: [remote.codec.name],
    telephoneEvent: remote.telephoneEvent !== undefined,
    ...(remote.telephoneEvent !== undefined
      ? { telephoneEventPayloadType: remote.telephoneEvent.payloadType }
      : {}),
    ...(Number.isInteger(ptime) && ptime > 0 ? { ptime } : {}),
    direction: MIRRORED[remote.direction],
  });
  return { sdp: reviseSdp(ours, built), remote };
}
