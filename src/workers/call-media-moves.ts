import type { SrtpMode } from '../config/index.js';
import type { Logger } from '../log/index.js';
import {
  acceptSrtpAnswer,
  answerSdpOffer,
  parseSdesCrypto,
  parseSdpAnswer,
  SdpError,
  type G711Codec,
  type RtpSession,
  type SdpAnswer,
  type SdesCrypto,
  type SrtpKeys,
} from '../media/index.js';
import type { CallLeg } from '../sip/index.js';

/**
 * One call's answers to the offers its far end makes in the dialog (an UPDATE before the answer,
 * a re-INVITE or UPDATE after it), and the RTP session following where its media moved. Any codec
 * we speak may be chosen; once media runs, the session's own while the offer still lists it (RFC
 * 3264 §8.3.2), else the offer's first we speak, which the session switches to with the move (as
 * it does a new telephone-event payload type). An offer with none we speak is refused (488) and
 * the call goes on. With SRTP, an offer's crypto line is answered with ours, and the keys it
 * settles reach the session with the media event that follows our answer; an answer to our own
 * offer (the 2xx to our session-refresh re-INVITE) rekeys the session with its crypto line.
 */
export class CallMediaMoves {
  readonly #logger: Logger;
  readonly #srtpMode: SrtpMode;
  #codec: G711Codec | undefined;
  #keys: SrtpKeys | undefined;
  /** Keys our last answer settled, for the session once the engine reports the new media. */
  #pendingKeys: SrtpKeys | undefined;
  /** The last offer we answered with crypto, and the keys of that answer. */
  #answered: { readonly offer: string; readonly keys: SrtpKeys } | undefined;
  /** The last offer we answered, and the codec and telephone-event our answer took from it. */
  #format: { readonly offer: string; readonly remote: SdpAnswer } | undefined;

  constructor(logger: Logger, srtpMode: SrtpMode = 'off') {
    this.#logger = logger;
    this.#srtpMode = srtpMode;
  }

  /** For `InviteOptions.answerOffer`: our answer, or undefined to refuse the offer. */
  readonly answerOffer = (offer: string, localSdp: string): string | undefined => {
    try {
      const answered = answerSdpOffer(
        offer,
        localSdp,
        undefined,
        {
          mode: this.#srtpMode,
          ...(this.#keys !== undefined ? { current: this.#keys } : {}),
        },
        this.#codec,
      );
      this.#format = { offer, remote: answered.remote };
      this.#pendingKeys = answered.srtp;
      this.#answered = answered.srtp !== undefined ? { offer, keys: answered.srtp } : undefined;
      return answered.sdp;
    } catch (error) {
      if (!(error instanceof SdpError)) throw error;
      this.#logger.info({ reason: error.message }, 'offer in the dialog refused (488): media unchanged');
      return undefined;
    }
  };

  /**
   * The keys of our answer when `sdp` is the far end's offer we answered (an UPDATE before the
   * answer whose SDP the call goes on with): then they, not the 2xx, settle the call's SRTP.
   */
  keysAnswered(sdp: string): SrtpKeys | undefined {
    return this.#answered?.offer === sdp ? this.#answered.keys : undefined;
  }

  /** From the answer on: the session sends where the far end's accepted offers (or answers) say. */
  follow(leg: CallLeg, session: RtpSession, keys?: SrtpKeys): void {
    this.#codec = session.codec;
    this.#keys = keys;
    this.#pendingKeys = undefined;
    leg.on('media', (sdp) => {
      try {
        // What our answer to this SDP took; an SDP we did not answer (an engine that does not ask us) keeps the codec.
        const answered = this.#format?.offer === sdp ? this.#format.remote : undefined;
        const remote = parseSdpAnswer(sdp, {
          codecs: [answered?.codec.name ?? session.codec],
          protocols: this.#keys !== undefined ? ['RTP/AVP', 'RTP/SAVP'] : ['RTP/AVP'],
        });
        if (answered !== undefined) {
          session.switchCodec({
            codec: { name: remote.codec.name, payloadType: remote.codec.payloadType },
            ...(remote.telephoneEvent !== undefined
              ? { telephoneEventPayloadType: remote.telephoneEvent.payloadType }
              : {}),
          });
          this.#codec = remote.codec.name;
        }
        // Keys our answer settled, else (an answer to our own offer: the refresh re-INVITE's 2xx)
        // the ones its crypto line settles against the lines of the SDP we sent (RFC 4568 §7.1.4).
        const keys =
          this.#pendingKeys ??
          (answered === undefined && this.#keys !== undefined
            ? acceptSrtpAnswer(ourCryptoLines(leg.localSdp), remote.crypto ?? [])
            : undefined);
        if (keys !== undefined && this.#keys !== undefined) {
          session.rekey(keys); // a direction whose key is unchanged keeps its context
          this.#keys = keys;
        }
        this.#pendingKeys = undefined;
        session.retarget({
          remote: { address: remote.address, port: remote.port },
          ...(remote.rtcpPort !== undefined
            ? {
                remoteRtcp: {
                  port: remote.rtcpPort,
                  ...(remote.rtcpAddress !== undefined ? { address: remote.rtcpAddress } : {}),
                },
              }
            : {}),
          send: !remote.held,
          silent: remote.direction === 'recvonly' || remote.direction === 'inactive' || remote.held,
        });
      } catch (error) {
        // answerOffer accepted it, so this is a far end that answered our offer badly: keep sending where we were.
        this.#logger.warn({ err: error, callId: leg.callId }, 'moved media unusable: sending where we were');
      }
    });
  }
}

/** The `a=crypto` lines of an SDP we sent: what an answer to it may take (RFC 4568 §7.1.3). */
function ourCryptoLines(sdp: string): SdesCrypto[] {
  return [...sdp.matchAll(/^a=crypto:(.*?)\r?$/gm)].map((m) => parseSdesCrypto(m[1]!));
}
