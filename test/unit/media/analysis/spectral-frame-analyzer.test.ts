import { describe, expect, it } from 'vitest';
import { SpectralFrameAnalyzer } from '../../../../src/media/analysis/index.js';
import {
  concat,
  consonant,
  dtmf,
  music,
  frames,
  lowPass,
  mix,
  pinkNoise,
  seededRandom,
  speechBurst,
  tone,
  toPcm,
  whiteNoise,
} from '../../../helpers/call-audio.js';

function kinds(pcm: Int16Array): { kinds: string[]; hz: number[] } {
  const a = new SpectralFrameAnalyzer();
  const kinds: string[] = [];
  const hz: number[] = [];
  for (const f of frames(pcm)) {
    const x = a.analyze(f);
    kinds.push(x.tone);
    hz.push(x.peakHz);
  }
  // The first and last frames hold the tone's edges.
  return { kinds: kinds.slice(1, -1), hz: hz.slice(1, -1) };
}

describe('SpectralFrameAnalyzer', () => {
  it.each([350, 425, 440, 913.8, 1000, 1370.6, 1776.7, 2400])(
    'finds a pure %s Hz tone as single, within 8 Hz',
    (hz) => {
      const r = kinds(toPcm(tone([hz], 400, -20), 'PCMU'));
      expect(r.kinds.every((k) => k === 'single')).toBe(true);
      for (const f of r.hz) expect(Math.abs(f - hz)).toBeLessThan(8);
    },
  );

  it.each([
    ['US ringback', [440, 480]],
    ['UK ringback', [400, 450]],
    ['US dial tone', [350, 440]],
  ])('calls %s dual, never single, although its two tones share one spectral lobe', (_name, freqs) => {
    const r = kinds(toPcm(tone(freqs, 1000, -20), 'PCMU'));
    expect(r.kinds.filter((k) => k === 'single')).toEqual([]);
    expect(r.kinds.filter((k) => k === 'dual').length).toBeGreaterThan(r.kinds.length * 0.9);
  });

  it('calls every DTMF digit dual', () => {
    const a = new SpectralFrameAnalyzer();
    for (const d of '0123456789*#ABCD') {
      const pcm = toPcm(dtmf(d, 100, 0), 'PCMA');
      const seen = [...frames(pcm)].slice(1, -1).map((f) => a.analyze(f).tone);
      expect(seen, d).toEqual(seen.map(() => 'dual'));
    }
  });

  it('finds no tone in noise or in speech-like bursts', () => {
    const random = seededRandom(7);
    const noise = [
      ...kinds(toPcm(whiteNoise(1000, -30, random))).kinds,
      ...kinds(toPcm(pinkNoise(1000, -30, random))).kinds,
    ];
    expect(noise.filter((k) => k !== 'none')).toEqual([]);
    const speech: string[] = [];
    for (let i = 0; i < 20; i++) speech.push(...kinds(toPcm(speechBurst(300, -20, random), 'PCMU')).kinds);
    expect(speech.filter((k) => k === 'single').length).toBeLessThan(speech.length * 0.02);
  });

  it('measures level and flatness: white noise is flat, a tone is not', () => {
    const a = new SpectralFrameAnalyzer();
    const noise = [...frames(toPcm(whiteNoise(200, -30, seededRandom(3))))].map((f) => ({ ...a.analyze(f) }));
    for (const n of noise) {
      expect(n.energyDb).toBeGreaterThan(-32);
      expect(n.energyDb).toBeLessThan(-28);
      expect(n.flatness).toBeGreaterThan(0.35);
    }
    const t = a.analyze(toPcm(tone([1000], 20, -20)).subarray(0, 160));
    expect(t.flatness).toBeLessThan(0.05);
  });

  it('keeps noise noise-like below 2 kHz on a line that loses the band above it, where the whole band looks voiced', () => {
    const a = new SpectralFrameAnalyzer();
    const shapes = [...frames(toPcm(lowPass(pinkNoise(400, -30, seededRandom(6)), 2000), 'PCMA'))]
      .slice(2, -1)
      .map((f) => ({ ...a.analyze(f) }))
      .filter((f) => f.fresh);
    for (const f of shapes) {
      expect(f.flatness).toBeLessThan(0.2);
      expect(f.lowFlatness).toBeGreaterThan(0.35);
    }
    const voiced = new SpectralFrameAnalyzer();
    const vowel = [...frames(toPcm(lowPass(speechBurst(300, -20, seededRandom(7), 120), 2000), 'PCMA'))]
      .slice(3, -3)
      .map((f) => ({ ...voiced.analyze(f) }))
      .filter((f) => f.fresh);
    for (const f of vowel) expect(f.lowFlatness).toBeLessThan(0.2);
  });

  it('measures the share above 2 kHz: high for a consonant hiss, low for vowels and music', () => {
    const share = (x: Float64Array): number[] => {
      const a = new SpectralFrameAnalyzer();
      return [...frames(toPcm(x, 'PCMU'))].slice(1, -1).map((f) => a.analyze(f).highShare);
    };
    for (const s of share(consonant(200, -25, seededRandom(4)))) expect(s).toBeGreaterThan(0.5);
    for (const s of share(tone([2800], 200, -20))) expect(s).toBeGreaterThan(0.95);
    for (const s of share(tone([600], 200, -20))) expect(s).toBeLessThan(0.01);
    for (const s of share(music(1000, 300, -20, seededRandom(5)))) expect(s).toBeLessThan(0.2);
  });

  it('matches a plain 256-point DFT of the Hann-windowed frame (flatness, share above 2 kHz, peak)', () => {
    const random = seededRandom(11);
    const x = mix(tone([1234.5], 20, -20), whiteNoise(20, -35, random));
    const frame = toPcm(x).subarray(0, 160);
    // The reference: the textbook DFT, bin by bin, over 250–3500 Hz (bins 8–112).
    const power: number[] = [];
    for (let k = 0; k <= 128; k++) {
      let re = 0;
      let im = 0;
      for (let n = 0; n < 160; n++) {
        const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / 159);
        re += frame[n]! * w * Math.cos((2 * Math.PI * k * n) / 256);
        im -= frame[n]! * w * Math.sin((2 * Math.PI * k * n) / 256);
      }
      power.push(re * re + im * im);
    }
    const band = power.slice(8, 113);
    const total = band.reduce((a, b) => a + b, 0);
    const high = power.slice(64, 113).reduce((a, b) => a + b, 0);
    const geo = Math.exp(band.reduce((a, p) => a + Math.log(p + 1e-3), 0) / band.length);
    const peak = 8 + band.indexOf(Math.max(...band));
    const f = new SpectralFrameAnalyzer().analyze(frame);
    expect(f.highShare).toBeCloseTo(high / total, 9);
    expect(f.flatness).toBeCloseTo(geo / (total / band.length + 1e-3), 9);
    const lowBand = power.slice(8, 64);
    const lowTotal = lowBand.reduce((a, b) => a + b, 0);
    const lowGeo = Math.exp(lowBand.reduce((a, p) => a + Math.log(p + 1e-3), 0) / lowBand.length);
    expect(f.lowFlatness).toBeCloseTo(lowGeo / (lowTotal / lowBand.length + 1e-3), 9);
    expect(Math.abs(f.peakHz - peak * 31.25)).toBeLessThanOrEqual(15.625);
    expect(Math.abs(f.peakHz - 1234.5)).toBeLessThan(10);
  });

  it('transforms every frame of a tone but only every other frame of noise, so a tone after noise is seen at most one frame late', () => {
    const random = seededRandom(12);
    const pcm = toPcm(
      concat(whiteNoise(410, -40, random), mix(tone([950], 300, -20), whiteNoise(300, -40, random))),
    );
    const a = new SpectralFrameAnalyzer();
    const seen = [...frames(pcm)].map((f) => ({ ...a.analyze(f) }));
    const noise = seen.slice(0, 20);
    expect(noise.filter((f) => f.fresh).length).toBe(10);
    // Stale frames carry the last measured shape, never a tone.
    for (const f of noise) expect(f.tone).toBe('none');
    // The tone starts 410 ms in, inside frame 20; frame 21 is its first whole frame.
    const first = seen.findIndex((f) => f.tone === 'single');
    expect(first).toBeGreaterThanOrEqual(21);
    expect(first).toBeLessThanOrEqual(22);
    const during = seen.slice(first, 35);
    expect(during.every((f) => f.fresh && f.tone === 'single')).toBe(true);
  });

  it('asked for single tones only, skips frames whose envelope swings yet still finds every frame of a tone', () => {
    const random = seededRandom(13);
    const a = new SpectralFrameAnalyzer();
    a.onlySingleTones = true;
    // Ringback beats (its envelope swings within 20 ms): never transformed, never a tone.
    const ring = [...frames(toPcm(tone([440, 480], 400, -20)))].map((f) => ({ ...a.analyze(f) }));
    expect(ring.filter((f) => f.fresh)).toEqual([]);
    expect(ring.filter((f) => f.tone !== 'none')).toEqual([]);
    const beep = [...frames(toPcm(mix(tone([1400], 200, -20), whiteNoise(200, -45, random))))]
      .slice(1, -1)
      .map((f) => a.analyze(f).tone);
    expect(beep).toEqual(beep.map(() => 'single'));
  });
});
