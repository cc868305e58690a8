import { describe, expect, it } from 'vitest';
import {
  CALL_PROGRESS_DEFAULTS,
  ProgressToneTracker,
  SpectralFrameAnalyzer,
  VoiceActivityDetector,
} from '../../../../src/media/analysis/index.js';
import {
  cadence,
  concat,
  frames,
  mix,
  pinkNoise,
  RINGBACK_UK,
  RINGBACK_US,
  seededRandom,
  silence,
  speechLike,
  toPcm,
  whiteNoise,
} from '../../../helpers/call-audio.js';

/** Voice per frame, as the analyzer runs it: tones first, then the detector. */
function voiced(audio: Float64Array): boolean[] {
  const spectrum = new SpectralFrameAnalyzer();
  const tones = new ProgressToneTracker();
  const vad = new VoiceActivityDetector(CALL_PROGRESS_DEFAULTS);
  return [...frames(toPcm(audio, 'PCMU'))].map((f) => {
    const x = spectrum.analyze(f);
    return vad.isVoice(x, tones.push(x));
  });
}

const share = (xs: boolean[]): number => xs.filter(Boolean).length / xs.length;

describe('VoiceActivityDetector', () => {
  it('hears speech-like bursts and not the silence around them', () => {
    const random = seededRandom(21);
    const v = voiced(concat(silence(1000), speechLike(6, 220, 0, -22, random), silence(1000)));
    expect(share(v.slice(0, 50))).toBe(0);
    expect(share(v.slice(52, 50 + 60))).toBeGreaterThan(0.8);
    expect(share(v.slice(-45))).toBe(0);
  });

  it('learns the line noise and still hears speech 10 dB above it', () => {
    const random = seededRandom(22);
    for (const noise of [whiteNoise, pinkNoise]) {
      const speech = concat(silence(1500), speechLike(6, 220, 0, -22, random), silence(500));
      const v = voiced(mix(speech, noise(4000, -22 - 10, random)));
      // The floor settles within the first half second; after it, the noise alone is silence.
      expect(share(v.slice(25, 75))).toBeLessThan(0.05);
      expect(share(v.slice(77, 75 + 60))).toBeGreaterThan(0.6);
    }
  });

  it('takes no call progress tone for voice', () => {
    const us = voiced(cadence(RINGBACK_US.freqs, 2000, 1000, 6000, -20));
    const uk = voiced(cadence(RINGBACK_UK.freqs, RINGBACK_UK.onMs, RINGBACK_UK.offMs, 6000, -20));
    // At most the first frames of each burst, before the tone is established: never a word.
    let run = 0;
    for (const v of [...us, ...uk]) {
      run = v ? run + 1 : 0;
      expect(run).toBeLessThan(CALL_PROGRESS_DEFAULTS.minWordMs / 20);
    }
  });
});
