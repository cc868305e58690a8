/**
 * Synthetic telephone audio at 8 kHz for the call progress analyzer's tests and corpus: tones,
 * cadences, SITs, DTMF, noise and speech-like bursts, all from a seeded generator so a failing
 * case can be made again.
 */
import { decodeG711, encodeG711, type G711Codec } from '../../src/media/index.js';

export const RATE = 8000;

/** mulberry32: small, fast, and the same sequence on every machine. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function samples(ms: number): number {
  return Math.round((ms * RATE) / 1000);
}

/** dBFS (RMS of a full-scale square wave = 0) to a sine's peak amplitude. */
export function sinePeak(dbfs: number): number {
  return 32768 * Math.SQRT2 * 10 ** (dbfs / 20);
}

export function silence(ms: number): Float64Array {
  return new Float64Array(samples(ms));
}

/** Sum of sines, each at `dbfs`, with 5 ms raised-cosine edges (as real tone generators have). */
export function tone(freqs: readonly number[], ms: number, dbfs = -20, phase = 0): Float64Array {
  const n = samples(ms);
  const out = new Float64Array(n);
  const amp = sinePeak(dbfs);
  const edge = Math.min(samples(5), n >> 1);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (const f of freqs) s += Math.sin((2 * Math.PI * f * i) / RATE + phase);
    const g =
      i < edge
        ? 0.5 - 0.5 * Math.cos((Math.PI * i) / edge)
        : i >= n - edge
          ? 0.5 - 0.5 * Math.cos((Math.PI * (n - i)) / edge)
          : 1;
    out[i] = amp * s * g;
  }
  return out;
}

export function concat(...parts: readonly Float64Array[]): Float64Array {
  const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** `on`/`off` cadence of `freqs` for `totalMs`. */
export function cadence(
  freqs: readonly number[],
  onMs: number,
  offMs: number,
  totalMs: number,
  dbfs = -20,
): Float64Array {
  const parts: Float64Array[] = [];
  let t = 0;
  while (t < totalMs) {
    const on = Math.min(onMs, totalMs - t);
    parts.push(tone(freqs, on, dbfs));
    t += on;
    const off = Math.min(offMs, totalMs - t);
    if (off > 0) parts.push(silence(off));
    t += off;
  }
  return concat(...parts);
}

export const RINGBACK_US = { freqs: [440, 480], onMs: 2000, offMs: 4000 } as const;
export const RINGBACK_EU = { freqs: [425], onMs: 1000, offMs: 4000 } as const;
export const RINGBACK_UK = { freqs: [400, 450], onMs: 400, offMs: 200 } as const;

const DTMF_ROWS = [697, 770, 852, 941];
const DTMF_COLS = [1209, 1336, 1477, 1633];
const DTMF_KEYS = '123A456B789C*0#D';

export function dtmf(digits: string, onMs = 100, offMs = 100, dbfs = -20): Float64Array {
  const parts: Float64Array[] = [];
  for (const d of digits) {
    const k = DTMF_KEYS.indexOf(d);
    parts.push(tone([DTMF_ROWS[k >> 2]!, DTMF_COLS[k & 3]!], onMs, dbfs), silence(offMs));
  }
  return concat(...parts);
}

export type SitName = 'IC' | 'VC' | 'NC' | 'NC2' | 'RO' | 'RO2' | 'IO' | 'reserved';

/** Durations and heights of segments 1 and 2, per the Telcordia encodings. */
export const SIT_ENCODINGS: Readonly<Record<SitName, { readonly d: string; readonly f: string }>> = {
  IC: { d: 'SS', f: 'LL' },
  VC: { d: 'LS', f: 'HL' },
  NC: { d: 'LL', f: 'HH' },
  NC2: { d: 'LL', f: 'LL' },
  RO: { d: 'SL', f: 'HL' },
  RO2: { d: 'SL', f: 'LH' },
  IO: { d: 'LS', f: 'LH' },
  reserved: { d: 'SS', f: 'HH' },
};

/** A SIT: three tones, `gapMs` apart, frequencies off by `detune` (0.002 = the allowed 0.2 %). */
export function sit(name: SitName, dbfs = -24, gapMs = 2, detune = 0, lengthScale = 1): Float64Array {
  const e = SIT_ENCODINGS[name];
  const first = e.f[0] === 'H' ? 985.2 : 913.8;
  const second = e.f[1] === 'H' ? 1428.5 : 1370.6;
  const ms = (c: string): number => (c === 'L' ? 380 : 274) * lengthScale;
  const k = 1 + detune;
  return concat(
    tone([first * k], ms(e.d[0]!), dbfs),
    silence(gapMs),
    tone([second * k], ms(e.d[1]!), dbfs),
    silence(gapMs),
    tone([1776.7 * k], 380 * lengthScale, dbfs),
  );
}

export function whiteNoise(ms: number, dbfs: number, random: () => number): Float64Array {
  const n = samples(ms);
  const out = new Float64Array(n);
  // Uniform noise has RMS peak/√3.
  const peak = 32768 * 10 ** (dbfs / 20) * Math.sqrt(3);
  for (let i = 0; i < n; i++) out[i] = (random() * 2 - 1) * peak;
  return out;
}

/** Pink-ish noise (Paul Kellet's economy filter): line hiss and room noise are not white. */
export function pinkNoise(ms: number, dbfs: number, random: () => number): Float64Array {
  const white = whiteNoise(ms, 0, random);
  const out = new Float64Array(white.length);
  let b0 = 0;
  let b1 = 0;
  let b2 = 0;
  for (let i = 0; i < white.length; i++) {
    const w = white[i]!;
    b0 = 0.99765 * b0 + w * 0.099046;
    b1 = 0.963 * b1 + w * 0.2965164;
    b2 = 0.57 * b2 + w * 1.0526913;
    out[i] = b0 + b1 + b2 + w * 0.1848;
  }
  return scaleTo(out, dbfs);
}

export function rmsDb(x: Float64Array): number {
  let s = 0;
  for (const v of x) s += v * v;
  return 10 * Math.log10(s / Math.max(1, x.length) / (32768 * 32768) + 1e-15);
}

export function scaleTo(x: Float64Array, dbfs: number): Float64Array {
  const g = 10 ** ((dbfs - rmsDb(x)) / 20);
  return x.map((v) => v * g);
}

/**
 * Something like a syllable: a glottal pulse train (pitch with vibrato and drift) through two
 * resonances, under a rise-and-fall envelope. Enough harmonics and movement that no single
 * spectral peak holds the frame, as in real voiced speech.
 */
export function speechBurst(
  ms: number,
  dbfs: number,
  random: () => number,
  pitchHz = 120 + random() * 120,
): Float64Array {
  const n = samples(ms);
  const out = new Float64Array(n);
  const f1 = 400 + random() * 500;
  const f2 = 1000 + random() * 1200;
  const res = (f: number, bw: number): [number, number] => {
    const r = Math.exp((-Math.PI * bw) / RATE);
    return [2 * r * Math.cos((2 * Math.PI * f) / RATE), -r * r];
  };
  const [a1, b1] = res(f1, 90);
  const [a2, b2] = res(f2, 120);
  let y1a = 0;
  let y1b = 0;
  let y2a = 0;
  let y2b = 0;
  let phase = 0;
  const drift = (random() - 0.5) * 0.4;
  for (let i = 0; i < n; i++) {
    const t = i / n;
    const pitch = pitchHz * (1 + drift * t + 0.03 * Math.sin(2 * Math.PI * 5 * (i / RATE)));
    phase += pitch / RATE;
    let x = 0;
    if (phase >= 1) {
      phase -= 1;
      x = 1;
    }
    x += (random() - 0.5) * 0.05;
    const v1 = x + a1 * y1a + b1 * y1b;
    y1b = y1a;
    y1a = v1;
    const v2 = v1 + a2 * y2a + b2 * y2b;
    y2b = y2a;
    y2a = v2;
    out[i] = v2 * Math.sin(Math.PI * t) ** 0.6;
  }
  return scaleTo(out, dbfs);
}

const CONSONANT_MS = 40;

/**
 * A consonant's hiss (s, f, t): white noise through a first difference, so most of its energy
 * lies above 2 kHz, where vowels and music have little.
 */
export function consonant(ms: number, dbfs: number, random: () => number): Float64Array {
  const n = samples(ms);
  const out = new Float64Array(n);
  let last = 0;
  for (let i = 0; i < n; i++) {
    const x = random() - 0.5;
    out[i] = x - last;
    last = x;
  }
  return scaleTo(out, dbfs);
}

/**
 * Syllables with short gaps: `count` of them, gaps under the between-words silence or not. Each
 * syllable opens with a 40 ms consonant, as real speech has them (the analyzer takes a long sound
 * with none for music, not a greeting). The consonants draw from their own fixed generator, so
 * `random` gives the same syllables as before they were added.
 */
export function speechLike(
  count: number,
  syllableMs: number,
  gapMs: number,
  dbfs: number,
  random: () => number,
): Float64Array {
  const parts: Float64Array[] = [];
  const hiss = seededRandom(count);
  for (let i = 0; i < count; i++) {
    parts.push(
      consonant(CONSONANT_MS, dbfs - 3, hiss),
      speechBurst(syllableMs * (0.7 + random() * 0.6), dbfs, random),
    );
    if (i < count - 1) parts.push(silence(gapMs));
  }
  return concat(...parts);
}

/** `noise` added under `x` (it is repeated or cut to length). */
export function mix(x: Float64Array, noise: Float64Array): Float64Array {
  return x.map((v, i) => v + noise[i % noise.length]!);
}

/** To 16-bit PCM, clipping, and optionally through a G.711 encode/decode as on the wire. */
export function toPcm(x: Float64Array, codec?: G711Codec): Int16Array {
  const pcm = new Int16Array(x.length);
  for (let i = 0; i < x.length; i++) pcm[i] = Math.max(-32768, Math.min(32767, Math.round(x[i]!)));
  return codec === undefined ? pcm : decodeG711(encodeG711(pcm, codec), codec);
}

/** 20 ms frames, as the RTP receiver hands them over (the tail is padded with silence). */
export function* frames(pcm: Int16Array): Generator<Int16Array> {
  for (let i = 0; i < pcm.length; i += 160) {
    const f = new Int16Array(160);
    f.set(pcm.subarray(i, Math.min(pcm.length, i + 160)));
    yield f;
  }
}

/**
 * Hold music of a kind: chords of harmonic-rich notes (four harmonics, a little vibrato), one
 * chord every `noteMs`. Several notes at once, each with overtones: never one pure tone.
 */
export function music(ms: number, noteMs: number, dbfs: number, random: () => number): Float64Array {
  const n = samples(ms);
  const out = new Float64Array(n);
  const per = samples(noteMs);
  for (let start = 0; start < n; start += per) {
    const root = 196 * 2 ** (Math.floor(random() * 12) / 12);
    const chord = [root, root * 2 ** (4 / 12), root * 2 ** (7 / 12)];
    const len = Math.min(per, n - start);
    for (let i = 0; i < len; i++) {
      const t = (start + i) / RATE;
      const env = Math.min(1, i / 80) * Math.exp((-2 * i) / per);
      let s = 0;
      for (const f of chord) {
        const v = f * (1 + 0.004 * Math.sin(2 * Math.PI * 5.5 * t));
        for (let h = 1; h <= 4; h++) s += Math.sin(2 * Math.PI * v * h * t) / h;
      }
      out[start + i] = s * env;
    }
  }
  return scaleTo(out, dbfs);
}

/**
 * A line that loses the top of the band (some narrowband trunks, transcoding through low-rate
 * codecs): a 4th-order Butterworth low-pass, two biquads, at `cutoffHz`.
 */
export function lowPass(x: Float64Array, cutoffHz: number): Float64Array {
  let y = x;
  // The two sections' Q of a 4th-order Butterworth.
  for (const q of [0.5412, 1.3066]) {
    const w = (2 * Math.PI * cutoffHz) / RATE;
    const alpha = Math.sin(w) / (2 * q);
    const cos = Math.cos(w);
    const a0 = 1 + alpha;
    const b0 = (1 - cos) / 2 / a0;
    const b1 = (1 - cos) / a0;
    const a1 = (-2 * cos) / a0;
    const a2 = (1 - alpha) / a0;
    const out = new Float64Array(y.length);
    let x1 = 0;
    let x2 = 0;
    let y1 = 0;
    let y2 = 0;
    for (let i = 0; i < y.length; i++) {
      const v = y[i]!;
      const o = b0 * v + b1 * x1 + b0 * x2 - a1 * y1 - a2 * y2;
      x2 = x1;
      x1 = v;
      y2 = y1;
      y1 = o;
      out[i] = o;
    }
    y = out;
  }
  return y;
}

export type HoldMusicKind = 'chords' | 'melody' | 'pad' | 'bright';
export const HOLD_MUSIC_KINDS: readonly HoldMusicKind[] = ['chords', 'melody', 'pad', 'bright'];

/**
 * Hold music of several kinds, for what comes before a person: `chords` (see music), `melody`
 * (one voice, legato notes with a few overtones and vibrato: a ringback tune or a phone's hold
 * jingle), `pad` (slow sustained chords that cross-fade, strings or an organ) and `bright`
 * (chords with a hi-hat's noise burst on every beat: hiss above 2 kHz, as pop music on hold has).
 */
export function holdMusic(
  kind: HoldMusicKind,
  ms: number,
  noteMs: number,
  dbfs: number,
  random: () => number,
): Float64Array {
  if (kind === 'chords') return music(ms, noteMs, dbfs, random);
  const n = samples(ms);
  const out = new Float64Array(n);
  if (kind === 'bright') {
    const base = music(ms, noteMs, 0, random);
    const per = samples(noteMs / 2);
    const hiss = consonant(30, -6, random);
    for (let i = 0; i < n; i++) out[i] = base[i]!;
    for (let start = 0; start < n; start += per) {
      for (let i = 0; i < hiss.length && start + i < n; i++) {
        out[start + i]! += hiss[i]! * Math.exp(-i / samples(8));
      }
    }
    return scaleTo(out, dbfs);
  }
  const per = samples(kind === 'pad' ? noteMs * 3 : noteMs);
  let phase = [0, 0, 0];
  for (let start = 0; start < n; start += per) {
    const root = 262 * 2 ** (Math.floor(random() * 12) / 12);
    const notes = kind === 'pad' ? [root / 2, root * 2 ** (3 / 12), root * 2 ** (7 / 12)] : [root];
    const len = Math.min(per, n - start);
    const next = [0, 0, 0];
    for (let i = 0; i < len; i++) {
      const t = (start + i) / RATE;
      // Legato: a short rise, no decay to speak of; the pad swells and fades.
      const env = kind === 'pad' ? Math.sin((Math.PI * (i + 1)) / (len + 1)) ** 0.5 : Math.min(1, i / 160);
      let s = 0;
      notes.forEach((f, j) => {
        const v = f * (1 + 0.006 * Math.sin(2 * Math.PI * 5 * t));
        const p = phase[j]! + (2 * Math.PI * v) / RATE;
        next[j] = p;
        phase[j] = p;
        for (let h = 1; h <= 3; h++) s += Math.sin(h * p) / (h * h);
      });
      out[start + i] = s * env;
    }
    phase = next;
  }
  return scaleTo(out, dbfs);
}
