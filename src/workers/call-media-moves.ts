import type { Logger } from '../log/index.js';
import { answerSdpOffer, parseSdpAnswer, SdpError, type G711Codec, type RtpSession } from '../media/index.js';
import type { CallLeg } from '../sip/index.js';

/**
 * One call's answers to the offers its far end makes in the dialog (an UPDATE before the answer,
 * a re-INVITE or UPDATE after it), and the RTP session following where its media moved. Before
 * the answer any codec we offered may be chosen; once media runs, only the session's own (it does
 * not change codec mid-call), so an offer without it is refused (488) and the call goes on.
 */
export class CallMediaMoves {
  readonly #logger: Logger;
  #codec: G711Codec | undefined;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** For `InviteOptions.answerOffer`: our answer, or undefined to refuse the offer. */
  readonly answerOffer = (offer: string, localSdp: string): string | undefined => {
    try {
      return answerSdpOffer(offer, localSdp, this.#codec !== undefined ? [this.#codec] : undefined).sdp;
    } catch (error) {
      if (!(error instanceof SdpError)) throw error;
      this.#logger.info({ reason: error.message }, 'offer in the dialog refused (488): media unchanged');
      return undefined;
    }
  };

  /** From the answer on: the session sends where the far end's accepted offers (or answers) say. */
  follow(leg: CallLeg, session: RtpSession): void {
    const codec = session.stats.codec;
    this.#codec = codec;
    leg.on('media', (sdp) => {
      try {
        const remote = parseSdpAnswer(sdp, { codecs: [codec] });
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
