import { parse } from 'sdp-transform';
import {
  buildSdpOffer,
  parseSdpAnswer,
  reviseSdp,
  type G711Codec,
  type SdpAnswer,
  type SdpDirection,
} from './sdp.js';
import type { SrtpMode } from '../config/index.js';
import { SdpError } from './sdp-error.js';
import { answerSrtpOffer, type SrtpKeys } from './srtp-negotiation.js';

/** Our answer to an offer the far end made in the dialog, and where its media now is. */
export interface SdpOfferAnswer {
  /** Our SDP answer: `ours` itself when nothing changed, else with its o= version bumped. */
  readonly sdp: string;
  /** The far end's media as the offer describes it (address, port, codec we chose, direction). */
  readonly remote: SdpAnswer;
  /** The keys our answer settles, when it took one of the offer's crypto lines. */
  readonly srtp?: SrtpKeys;
}

/** How a call does SRTP, for answering offers made in its dialog. */
export interface SrtpAnswering {
  readonly mode: SrtpMode;
  /** The call's keys so far: SRTP runs, so the answer must keep it (no fall back to plain RTP). */
  readonly current?: SrtpKeys;
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
 * or `keep` (the codec the call runs) when the offer still lists it (RFC 3264 §8.3.2: a change
 * of codec is the offerer's to make, not ours), telephone-event at the offer's payload type when
 * it has one. `remote.codec` is the codec the call runs once the answer is sent. Throws
 * `SdpError` when the offer cannot be accepted (no codec in common, stream refused, not RTP/AVP):
 * the caller answers 488 and the session stays as it was (RFC 3261 §14.2).
 *
 * With `srtp` other than off, an offer's `a=crypto` lines are answered with our line of the same
 * tag and suite (RFC 4568 §7.1.2); an offer without a usable one is refused when it is
 * `RTP/SAVP`, when SRTP is required, or when the call already runs SRTP.
 */
export function answerSdpOffer(
  offer: string,
  ours: string,
  codecs: readonly G711Codec[] = ['PCMU', 'PCMA'],
  srtp: SrtpAnswering = { mode: 'off' },
  keep?: G711Codec,
): SdpOfferAnswer {
  const remote = parseSdpAnswer(offer, {
    codecs,
    ...(keep !== undefined ? { prefer: keep } : {}),
    telephoneEvent: true,
    protocols: srtp.mode === 'off' ? ['RTP/AVP'] : ['RTP/AVP', 'RTP/SAVP'],
  });
  const secured =
    srtp.mode === 'off' || remote.crypto === undefined
      ? undefined
      : answerSrtpOffer(remote.crypto, srtp.current?.outbound);
  if (secured === undefined && srtp.mode !== 'off') {
    if (remote.savp === true || srtp.mode === 'required' || srtp.current !== undefined)
      throw new SdpError(
        `cannot answer the offer: it has no a=crypto line we accept (${remote.crypto?.length ?? 0} offered) and SRTP is ${srtp.current !== undefined ? 'running' : 'required'}`,
      );
  }
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
    ...(secured !== undefined
      ? { crypto: [secured.line], protocol: remote.savp === true ? 'RTP/SAVP' : 'RTP/AVP' }
      : {}),
  });
  return { sdp: reviseSdp(ours, built), remote, ...(secured !== undefined ? { srtp: secured.keys } : {}) };
}
