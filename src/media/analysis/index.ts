export { CallProgressAnalyzer } from './call-progress-analyzer.js';
export {
  CALL_PROGRESS_DEFAULTS,
  DECISION_DEADLINE_MARGIN_MS,
  MAX_EXCLUDED_TONE_MS,
  resolveCallProgressOptions,
  type CallProgressOptions,
} from './call-progress-defaults.js';
export type {
  AnsweredBy,
  BeepEvent,
  CallProgressDecision,
  CallProgressEvent,
  DecisionReason,
  SitEvent,
} from './call-progress-event.js';
export { CallProgressOptionsError } from './call-progress-options-error.js';
export { classifySit, type SitClass, type SitMatch } from './sit-classifier.js';
export {
  SpectralFrameAnalyzer,
  FRAME_MS,
  FRAME_SAMPLES,
  type FrameFeatures,
  type ToneKind,
} from './spectral-frame-analyzer.js';
export { SyllabicModulation } from './syllabic-modulation.js';
export { ToneSegmenter, type ToneSegment } from './tone-segmenter.js';
export { VoiceActivityDetector, type VoiceActivityOptions } from './voice-activity-detector.js';
export type { VoiceGate } from './voice-gate.js';
export { ProgressToneTracker } from './progress-tone-tracker.js';
