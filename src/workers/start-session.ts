import type { Logger } from '../log/index.js';
import type { CallMediaRuntime, RtpPortLease, SdpAnswer, SrtpKeys } from '../media/index.js';
import { parseSdpAnswer, RtpSession } from '../media/index.js';
import { srtpKeysOf } from './srtp-keys-of.js';
import { srtpOffered, type SrtpOffer } from './srtp-offer.js';

/**
 * The call's RTP session, or `undefined` when the SDP gives nothing to send to. `early`: the
 * session of a 183's early media, which only listens (nothing is sent before the answer).
 */
export function startSession(
  remoteSdp: string,
  callId: string | undefined,
  input: { readonly logger: Logger },
  lease: RtpPortLease,
  media: CallMediaRuntime,
  early: boolean,
  srtp: SrtpOffer,
  /** What the answer settled for SRTP; without it (early media) it is read off this SDP. */
  settled?: { readonly keys: SrtpKeys | undefined },
): RtpSession | undefined {
  let answer: SdpAnswer;
  let keys: SrtpKeys | undefined;
  try {
    answer = parseSdpAnswer(remoteSdp, srtpOffered(srtp));
    keys = settled !== undefined ? settled.keys : srtpKeysOf(answer, srtp);
  } catch (error) {
    input.logger.warn(
      { err: error, callId },
      early ? 'early-media SDP unusable: not listening to it' : 'answer SDP unusable: the call has no media',
    );
    return undefined;
  }
  // A far end that said it will not send (or put us on hold) is not dead for being quiet.
  const silentByAnswer =
    answer.direction === 'recvonly' ||
    answer.direction === 'inactive' ||
    /^0\.0\.0\.0$|^::$/.test(answer.address);
  return new RtpSession({
    lease,
    remote: { address: answer.address, port: answer.port },
    ...(answer.rtcpPort !== undefined
      ? {
          remoteRtcp: {
            port: answer.rtcpPort,
            ...(answer.rtcpAddress !== undefined ? { address: answer.rtcpAddress } : {}),
          },
        }
      : {}),
    codec: { name: answer.codec.name, payloadType: answer.codec.payloadType },
    ...(answer.telephoneEvent ? { telephoneEventPayloadType: answer.telephoneEvent.payloadType } : {}),
    send: !early && !answer.held,
    deadAfterMs: silentByAnswer || early ? 0 : media.settings.deadCallMs,
    rtcpIntervalMs: media.settings.rtcpIntervalMs,
    scheduler: media.scheduler,
    logger: input.logger,
    ...(keys !== undefined ? { srtp: keys } : {}),
  }).start();
}
