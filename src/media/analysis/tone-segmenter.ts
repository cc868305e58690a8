import { FRAME_MS, type FrameFeatures } from './spectral-frame-analyzer.js';

/** A steady single tone: one frequency, one level, from `startMs` to `endMs`. */
export interface ToneSegment {
  readonly startMs: number;
  readonly endMs: number;
  readonly frequencyHz: number;
  readonly levelDb: number;
}

/** Shortest run of tone frames kept as a segment: 3 frames, 60 ms. */
const MIN_FRAMES = 3;
/** A frame may stray this far from the run's frequency: ±0.8 %, at least 8 Hz (tones hold 0.2 %; voices glide). */
const FREQUENCY_TOLERANCE = 0.008;
const MIN_TOLERANCE_HZ = 8;
/** A steady tone keeps its level; a level jump is a new sound. */
const LEVEL_TOLERANCE_DB = 3;
/** One odd frame (a click, a lost packet) inside a tone does not split it. */
const MAX_MISSES = 1;

/**
 * Groups consecutive single-tone frames of one frequency and level into segments. A change of
 * frequency ends one segment and starts the next even with no gap, as in a SIT, whose three
 * tones follow each other within 4 ms.
 */
export class ToneSegmenter {
  #startMs = 0;
  #frames = 0;
  #hzSum = 0;
  #dbSum = 0;
  #misses = 0;
  #lastToneEndMs = 0;

  /** Whether a run of tone frames is open now. */
  get inTone(): boolean {
    return this.#frames > 0;
  }

  /** Start of the open run, ms. */
  get openSinceMs(): number {
    return this.#startMs;
  }

  /** `atMs` is the start of this frame. Returns the segment this frame ended, if any. */
  push(f: Readonly<FrameFeatures>, atMs: number): ToneSegment | undefined {
    const single = f.tone === 'single';
    if (this.#frames > 0) {
      const hz = this.#hzSum / this.#frames;
      const db = this.#dbSum / this.#frames;
      const same =
        single &&
        Math.abs(f.peakHz - hz) <= Math.max(MIN_TOLERANCE_HZ, hz * FREQUENCY_TOLERANCE) &&
        Math.abs(f.energyDb - db) <= LEVEL_TOLERANCE_DB;
      if (same) {
        this.#add(f, atMs);
        return undefined;
      }
      if (!single && this.#misses < MAX_MISSES) {
        this.#misses++;
        return undefined;
      }
      const ended = this.#close();
      if (single) this.#open(f, atMs);
      return ended;
    }
    if (single) this.#open(f, atMs);
    return undefined;
  }

  /** Ends the open run (the audio ended). */
  flush(): ToneSegment | undefined {
    return this.#frames > 0 ? this.#close() : undefined;
  }

  #open(f: Readonly<FrameFeatures>, atMs: number): void {
    this.#startMs = atMs;
    this.#frames = 0;
    this.#hzSum = 0;
    this.#dbSum = 0;
    this.#add(f, atMs);
  }

  #add(f: Readonly<FrameFeatures>, atMs: number): void {
    this.#frames++;
    this.#hzSum += f.peakHz;
    this.#dbSum += f.energyDb;
    this.#misses = 0;
    this.#lastToneEndMs = atMs + FRAME_MS;
  }

  #close(): ToneSegment | undefined {
    const frames = this.#frames;
    this.#frames = 0;
    this.#misses = 0;
    if (frames < MIN_FRAMES) return undefined;
    return {
      startMs: this.#startMs,
      endMs: this.#lastToneEndMs,
      frequencyHz: this.#hzSum / frames,
      levelDb: this.#dbSum / frames,
    };
  }
}
