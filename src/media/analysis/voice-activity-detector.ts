import type { FrameFeatures } from './spectral-frame-analyzer.js';

export interface VoiceActivityOptions {
  /** Mean absolute sample value under which a frame is never voice. */
  readonly silenceThreshold: number;
  /** dB above the tracked noise floor a frame must reach to be voice. */
  readonly voiceMarginDb: number;
}

/** The quietest floor believed: digital silence is not a noise level. */
const MIN_FLOOR_DB = -90;
/** The floor follows a quieter frame almost at once... */
const FALL_RATE = 0.3;
/** ...and rises slowly, faster on frames that look like noise (flat spectrum) than on others. */
const RISE_DB_NOISELIKE = 0.6;
const RISE_DB_OTHER = 0.03;
/** Flatness above which a frame is noise-like rather than voiced speech. */
const NOISE_FLATNESS = 0.35;
/** Voiced speech is peaky; a weak frame that is peaky still counts, with half the margin. */
const VOICED_FLATNESS = 0.2;

/**
 * Voice or not for each 20 ms frame: an energy gate over an adaptive noise floor, helped by
 * spectral flatness below 2 kHz (voiced speech has harmonics, noise is flat; the part of the band
 * every line keeps, so a line that loses the top does not make its noise look voiced) and blind to call progress
 * tones (a steady single or dual tone is signalling, not someone talking). Chosen over Silero
 * and WebRTC's VAD because under the same cadence it misses fewer people and costs a fraction of
 * their CPU (bench/amd-vad-compare.ts, figures in the README); bench/amd-accuracy.ts measures it
 * against app_amd's plain threshold.
 */
export class VoiceActivityDetector {
  readonly #silenceThreshold: number;
  readonly #marginDb: number;
  /** Starts at the first frame's level: the line shows its own noise at once. */
  #floorDb: number | undefined;

  constructor(options: VoiceActivityOptions) {
    this.#silenceThreshold = options.silenceThreshold;
    this.#marginDb = options.voiceMarginDb;
  }

  /** The noise floor now, dBFS. */
  get noiseFloorDb(): number {
    return this.#floorDb ?? MIN_FLOOR_DB;
  }

  /**
   * Whether this frame is voice; updates the noise floor. `inTone`: the frame continues a call
   * progress tone (ProgressToneTracker), which is signalling, not someone talking.
   */
  isVoice(f: Readonly<FrameFeatures>, inTone = false): boolean {
    const e = Math.max(MIN_FLOOR_DB, f.energyDb);
    const floor = this.#floorDb ?? e;
    const aboveFloor = e - floor;
    // Noise-like frames (fricatives, but also a burst of line noise) need twice the margin.
    const voice =
      !inTone &&
      f.meanAbs >= this.#silenceThreshold &&
      (aboveFloor >= this.#marginDb * 2 ||
        (aboveFloor >= this.#marginDb && f.lowFlatness < NOISE_FLATNESS) ||
        (aboveFloor >= this.#marginDb / 2 && f.lowFlatness < VOICED_FLATNESS));
    if (e < floor) this.#floorDb = floor + FALL_RATE * (e - floor);
    else if (!inTone) {
      const rise = f.lowFlatness >= NOISE_FLATNESS && !voice ? RISE_DB_NOISELIKE : RISE_DB_OTHER;
      this.#floorDb = Math.min(e, floor + rise);
    } else this.#floorDb = floor;
    return voice;
  }
}
