import type { FrameFeatures } from './spectral-frame-analyzer.js';

/** Frames a single tone must hold before it counts as signalling: its frame test is strict. */
const SINGLE_FRAMES = 2;
/** A dual tone this clean (one or two lobes hold 95 % of the band) is no voice: 2 frames do. */
const CLEAN_DUAL_FRAMES = 2;
const CLEAN = 0.95;
/**
 * Frames a dual tone must hold: a voice with two strong formant harmonics passes the frame test
 * now and then, but its harmonics glide; ringback, busy and DTMF hold still for 40 ms to seconds.
 */
const DUAL_FRAMES = 5;
const TOLERANCE_HZ = 12;
/** Two tones inside one lobe (440+480) move the lobe's peak with the beat phase. */
const BEATING_TOLERANCE_HZ = 40;

type Signature = 'single' | 'dual' | 'beating';

/**
 * Whether the line carries a steady call progress tone now (ringback, busy, dial tone, DTMF, a
 * beep, a SIT): such frames are neither voice nor silence to the cadence. A frame is one only
 * when it continues a run of frames with the same tone.
 */
export class ProgressToneTracker {
  #kind: Signature | undefined;
  #hz1 = 0;
  #hz2 = 0;
  #count = 0;

  push(f: Readonly<FrameFeatures>): boolean {
    const kind = signatureOf(f);
    if (kind === undefined) {
      this.#kind = undefined;
      this.#count = 0;
      return false;
    }
    const lo = Math.min(f.peakHz, f.secondPeakHz);
    const hi = Math.max(f.peakHz, f.secondPeakHz);
    const hz1 = kind === 'dual' ? lo : f.peakHz;
    const hz2 = kind === 'dual' ? hi : 0;
    const tolerance = kind === 'beating' ? BEATING_TOLERANCE_HZ : TOLERANCE_HZ;
    if (
      kind === this.#kind &&
      Math.abs(hz1 - this.#hz1) <= tolerance &&
      Math.abs(hz2 - this.#hz2) <= tolerance
    ) {
      this.#count++;
    } else {
      this.#kind = kind;
      this.#hz1 = hz1;
      this.#hz2 = hz2;
      this.#count = 1;
    }
    const clean = f.purity >= CLEAN || f.twoPeakPurity >= CLEAN;
    return this.#count >= (kind === 'single' ? SINGLE_FRAMES : clean ? CLEAN_DUAL_FRAMES : DUAL_FRAMES);
  }
}

function signatureOf(f: Readonly<FrameFeatures>): Signature | undefined {
  if (f.tone === 'single') return 'single';
  if (f.tone !== 'dual') return undefined;
  return f.purity >= 0.85 && f.envelopeRatio > 1.35 ? 'beating' : 'dual';
}
