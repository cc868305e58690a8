import type { FrameFeatures } from './spectral-frame-analyzer.js';

/**
 * What the analyzer's cadence asks of a voice detector, once per 20 ms frame in order. The
 * energy gate (VoiceActivityDetector) is the one the product uses; bench/amd-vad-compare.ts puts
 * model-based detectors (Silero, WebRTC's) here to measure them under the same cadence.
 */
export interface VoiceGate {
  /** `inTone`: the frame continues a call progress tone, which is signalling, not talk. */
  isVoice(f: Readonly<FrameFeatures>, inTone: boolean): boolean;
}
