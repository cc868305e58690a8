import { describe, expect, it } from 'vitest';
import { SpectralFrameAnalyzer, SyllabicModulation } from '../../../../src/media/analysis/index.js';
import {
  concat,
  frames,
  holdMusic,
  lowPass,
  mix,
  pinkNoise,
  scaleTo,
  seededRandom,
  silence,
  speechLike,
  toPcm,
  whiteNoise,
} from '../../../helpers/call-audio.js';

/** The depth after the whole signal has gone through, as the analyzer would see it. */
function depthOf(audio: Float64Array): number {
  const spectrum = new SpectralFrameAnalyzer();
  const m = new SyllabicModulation();
  for (const f of frames(toPcm(audio, 'PCMA'))) m.push(spectrum.analyze(f).energyDb);
  return m.depthDb;
}

/** Noise shaped by a syllable envelope: bursts of 120-250 ms with 40-120 ms dips, 4-6 a second. */
function modulatedNoise(ms: number, random: () => number): Float64Array {
  const parts: Float64Array[] = [];
  let total = 0;
  while (total < ms) {
    const on = 120 + random() * 130;
    const burst = pinkNoise(on, -20, random).map((v, i, a) => v * Math.sin((Math.PI * i) / a.length));
    const off = 40 + random() * 80;
    parts.push(burst, scaleTo(whiteNoise(off, -60, random), -55));
    total += on + off;
  }
  return concat(...parts);
}

describe('SyllabicModulation', () => {
  it('is deep for a syllable-rate envelope, on noise as on speech-like bursts, with or without the band above 2 kHz', () => {
    const random = seededRandom(41);
    expect(depthOf(modulatedNoise(2500, random))).toBeGreaterThan(3);
    const talk = speechLike(10, 200, 60, -20, random);
    expect(depthOf(talk)).toBeGreaterThan(3);
    expect(depthOf(lowPass(talk, 2000))).toBeGreaterThan(3);
  });

  it('is shallow for a legato tone melody, a sustained pad and steady noise', () => {
    const random = seededRandom(42);
    expect(depthOf(holdMusic('melody', 3000, 350, -20, random))).toBeLessThan(1.6);
    expect(depthOf(holdMusic('pad', 3000, 500, -20, random))).toBeLessThan(1.6);
    expect(
      depthOf(mix(holdMusic('melody', 3000, 300, -20, random), pinkNoise(3000, -35, random))),
    ).toBeLessThan(1.6);
    expect(depthOf(pinkNoise(3000, -30, random))).toBeLessThan(1);
  });

  it('forgets: a second of steady sound after talk brings the depth down', () => {
    const random = seededRandom(43);
    const talk = speechLike(8, 200, 60, -20, random);
    expect(depthOf(concat(talk, holdMusic('melody', 3000, 400, -20, random)))).toBeLessThan(1.6);
    expect(depthOf(concat(silence(200), talk))).toBeGreaterThan(3);
  });
});
