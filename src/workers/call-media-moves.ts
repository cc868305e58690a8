import type { SrtpMode } from '../config/index.js';
import type { Logger } from '../log/index.js';
import {
  answerSdpOffer,
  parseSdpAnswer,
  SdpError,
  type G711Codec,
  type RtpSession,
  type SrtpKeys,
} from '../media/index.js';
import type { CallLeg } from '../sip/index.js';

/**
 * One call's answers to the offers its far end makes in the dialog (an UPDATE before the answer,
 * a re-INVITE or UPDATE after it), and the RTP session following where its media moved. Before
 * the answer any codec we offered may be chosen; once media runs, only the session's own (it does
 * not change codec mid-call), so an offer without it is refused (488) and the call goes on. With
 * SRTP, an offer's crypto line is answered with ours, and the keys it settles reach the session
 * with the media event that follows our answer.
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
        this.#codec !== undefined ? [this.#codec] : undefined,
        {
          mode: this.#srtpMode,
          ...(this.#keys !== undefined ? { current: this.#keys } : {}),
        },
      );
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
    const codec = session.stats.codec;
    this.#codec = codec;
    this.#keys = keys;
    this.#pendingKeys = undefined;
    leg.on('media', (sdp) => {
      try {
        const remote = parseSdpAnswer(sdp, {
          codecs: [codec],
          protocols: this.#keys !== undefined ? ['RTP/AVP', 'RTP/SAVP'] : ['RTP/AVP'],
        });
        if (this.#pendingKeys !== undefined && this.#keys !== undefined) {
          session.rekey(this.#pendingKeys);
          this.#keys = this.#pendingKeys;
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
