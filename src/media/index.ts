export { RtpPortPool, type RtpPortPoolOptions, type RtpPortLease } from './port-pool.js';
export { PortPoolError } from './port-pool-error.js';
export { PortPoolExhaustedError } from './port-pool-exhausted-error.js';
export {
  buildSdpOffer,
  parseSdpAnswer,
  bumpSdpVersion,
  reviseSdp,
  type G711Codec,
  type SdpDirection,
  type SdpOfferInput,
  type SdpOffered,
  type SdpAnswer,
  type SdpMediaProtocol,
} from './sdp.js';
export { answerSdpOffer, type SdpOfferAnswer, type SrtpAnswering } from './answer-sdp-offer.js';
export { SRTP_SUITES, type SrtpSuite } from './srtp-suite.js';
export {
  SrtpContext,
  isSrtpDrop,
  type SrtpKeyMaterial,
  type SrtpDrop,
  type SrtpDropReason,
} from './srtp-context.js';
export { parseSdesCrypto, formatSdesCrypto, type SdesCrypto } from './sdes-crypto-attribute.js';
export {
  offerSrtp,
  cryptoValues,
  acceptSrtpAnswer,
  answerSrtpOffer,
  freshSrtpKey,
  type SrtpKeys,
} from './srtp-negotiation.js';
export { SrtpNegotiationError } from './srtp-negotiation-error.js';
export { SdpError } from './sdp-error.js';
export {
  MediaScheduler,
  type MediaSchedulerOptions,
  type PacedStream,
  type PacedHandle,
} from './media-scheduler.js';
export { PacingHistogram, type PacingStats } from './pacing-histogram.js';
export {
  RtpSession,
  type RtpSessionOptions,
  type RtpSessionEvents,
  type RtpSessionStats,
  type DtmfEvent,
  type DeadMediaEvent,
  type PlayResult,
} from './rtp-session.js';
export { type SrtpReceiveStats } from './srtp-streams.js';
export { type RtpCodec } from './rtp-format.js';
export { MediaSessionError } from './media-session-error.js';
export { parseRtpPacket, writeRtpHeader, type RtpHeader, type ParsedRtpPacket } from './rtp-packet.js';
export { RtpReceiveStats, type RtpReceiveSummary, type ReceptionReport } from './rtp-receive-stats.js';
export { buildRtcpCompound, parseRtcp, type RemoteReport, type ParsedRtcp } from './rtcp.js';
export {
  encodeG711,
  decodeG711,
  g711AudioOf,
  G711_SILENCE,
  G711_SAMPLE_RATE,
  type G711Audio,
} from './g711.js';
export {
  dtmfEventCode,
  dtmfDigitOf,
  parseTelephoneEvent,
  writeTelephoneEvent,
  type DtmfDigit,
  type TelephoneEvent,
} from './telephone-event.js';
export { wavToPcm8k } from './wav-to-pcm8k.js';
export { PromptCache, type PromptCacheOptions, type Prompt } from './prompt-cache.js';
export { PromptError } from './prompt-error.js';
export { DtmfCollector, type DigitCollectOptions, type CollectEnd } from './dtmf-collector.js';
export { runCallScript, type CallScriptPlan, type CallScriptResult } from './run-call-script.js';
export { CallProgressWatch, type CallProgressWatchEvents, type MessageCue } from './call-progress-watch.js';
export {
  createCallMediaRuntime,
  type CallMediaRuntime,
  type CallMediaSettings,
} from './call-media-runtime.js';
export {
  CallProgressAnalyzer,
  CALL_PROGRESS_DEFAULTS,
  DECISION_DEADLINE_MARGIN_MS,
  MAX_EXCLUDED_TONE_MS,
  CallProgressOptionsError,
  type CallProgressOptions,
  type CallProgressEvent,
  type CallProgressDecision,
  type BeepEvent,
  type SitEvent,
  type SitClass,
  type AnsweredBy,
  type DecisionReason,
  type VoiceGate,
  type FrameFeatures,
} from './analysis/index.js';
export { CallRecorder, type RecordingMode } from './call-recorder.js';
export { WavFileWriter, type WavFileResult } from './wav-file-writer.js';
export { EarlyMediaSitWatch } from './early-media-sit-watch.js';
