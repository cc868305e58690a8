/** Samples in one 20 ms frame at 8 kHz: what the RTP receiver hands over. */
export const FRAME_SAMPLES = 160;
export const FRAME_MS = 20;
const SAMPLE_RATE = 8000;
const FFT_SIZE = 256;
/** A real 256-point transform is done as a complex 128-point one: half the work. */
const HALF = FFT_SIZE / 2;
/** Mean square (of full scale) under which a frame is not analysed: -60 dBFS. */
const QUIET = 1e-6;
/** The flatness of white noise's periodogram (e^-γ): what a skipped quiet frame is taken for. */
const WHITE_FLATNESS = 0.56;
const BIN_HZ = SAMPLE_RATE / FFT_SIZE;
/** The telephone band: below 250 Hz is hum and DC, above 3500 Hz is the codec's filter edge. */
const LOW_BIN = Math.ceil(250 / BIN_HZ);
const HIGH_BIN = Math.floor(3500 / BIN_HZ);
/** Where the consonant band starts: 2 kHz. */
const HF_BIN = Math.ceil(2000 / BIN_HZ);
/**
 * A Hann window over 160 samples has a main lobe of ±100 Hz, ±3.2 bins of the 256-point
 * transform: a pure tone's energy lies within ±3 bins of its peak.
 */
const LOBE = 3;
/** -15 dB: the loudest bin outside a single tone's lobe, at the worst SNR we serve (10 dB), is ~19 dB down. */
const SINGLE_MAX_SECOND = 0.032;
const HARMONIC_MAX_SECOND = 0.25;
const SUB_BLOCKS = 4;
const SUB_BLOCK = FRAME_SAMPLES / SUB_BLOCKS;

/** What a frame looks like to the tone and voice detectors. */
export type ToneKind = 'none' | 'single' | 'dual';

export interface FrameFeatures {
  /** Mean absolute sample value: app_amd's silence measure. */
  meanAbs: number;
  /** Mean square in dB relative to a full-scale square wave (0 dBFS = 32768²). */
  energyDb: number;
  /** Share of the band's energy within the main lobe of the strongest peak, 0–1. */
  purity: number;
  /** Share within the main lobes of the two strongest peaks, 0–1. */
  twoPeakPurity: number;
  /** The strongest peak, Hz, refined between bins. */
  peakHz: number;
  /** The second peak outside the first's lobe, Hz. */
  secondPeakHz: number;
  /** Power of the second peak's bin over the first's: harmonics of a voice are within 15 dB, a tone's sidelobes are not. */
  secondPeakRatio: number;
  /** Loudest over quietest 5 ms sub-block RMS: 1 for a steady tone, large for beating tones. */
  envelopeRatio: number;
  /** Geometric over arithmetic mean of the band's power spectrum: near 0.56 for white noise, low for voiced speech. */
  flatness: number;
  /**
   * Share of the band's energy above 2 kHz, 0–1: high in consonants (s, f, t), low in vowels,
   * near 0 in hold music and hums.
   */
  highShare: number;
  tone: ToneKind;
}

/**
 * Per-frame spectral features from one 256-point FFT of a Hann-windowed 20 ms frame. Buffers are
 * allocated once per analyzer and the returned object is reused: a call pushes 50 frames a second
 * and the analysis must cost a few microseconds per frame.
 */
export class SpectralFrameAnalyzer {
  static readonly #window = hann(FRAME_SAMPLES);
  static readonly #cos = twiddles(Math.cos, HALF);
  static readonly #sin = twiddles(Math.sin, HALF);
  /** The unpacking step of the real FFT turns on the full-size circle. */
  static readonly #unpackCos = twiddles(Math.cos, FFT_SIZE);
  static readonly #unpackSin = twiddles(Math.sin, FFT_SIZE);
  static readonly #bitReverse = bitReversal(HALF);
  /** The 256 real samples packed as 128 complex ones (even samples real, odd imaginary). */
  readonly #re = new Float64Array(HALF);
  readonly #im = new Float64Array(HALF);
  readonly #power = new Float64Array(FFT_SIZE / 2 + 1);
  readonly #features: FrameFeatures = {
    meanAbs: 0,
    energyDb: -120,
    purity: 0,
    twoPeakPurity: 0,
    peakHz: 0,
    secondPeakHz: 0,
    secondPeakRatio: 0,
    envelopeRatio: 1,
    flatness: 1,
    highShare: 0,
    tone: 'none',
  };

  analyze(frame: Int16Array): Readonly<FrameFeatures> {
    const f = this.#features;
    const re = this.#re;
    const im = this.#im;
    const win = SpectralFrameAnalyzer.#window;
    const rev = SpectralFrameAnalyzer.#bitReverse;
    let abs = 0;
    let square = 0;
    let subMax = 0;
    let subMin = Infinity;
    for (let b = 0; b < SUB_BLOCKS; b++) {
      let sub = 0;
      for (let i = b * SUB_BLOCK; i < (b + 1) * SUB_BLOCK; i++) {
        const s = frame[i]!;
        abs += s < 0 ? -s : s;
        sub += s * s;
      }
      square += sub;
      if (sub > subMax) subMax = sub;
      if (sub < subMin) subMin = sub;
    }
    f.meanAbs = abs / FRAME_SAMPLES;
    const meanSquare = square / FRAME_SAMPLES / (32768 * 32768);
    f.energyDb = 10 * Math.log10(meanSquare + 1e-12);
    f.envelopeRatio = subMin > 0 ? Math.sqrt(subMax / subMin) : subMax > 0 ? Infinity : 1;
    if (meanSquare < QUIET) {
      // Too quiet to carry a tone anyone would signal with: no transform, and it counts as noise.
      f.purity = 0;
      f.twoPeakPurity = 0;
      f.peakHz = 0;
      f.secondPeakHz = 0;
      f.secondPeakRatio = 0;
      f.flatness = WHITE_FLATNESS;
      f.highShare = 0;
      f.tone = 'none';
      return f;
    }
    for (let n = 0; n < HALF; n++) {
      const i = 2 * n;
      const slot = rev[n]!;
      re[slot] = i < FRAME_SAMPLES ? frame[i]! * win[i]! : 0;
      im[slot] = i + 1 < FRAME_SAMPLES ? frame[i + 1]! * win[i + 1]! : 0;
    }
    this.#fft();
    const power = this.#power;
    this.#unpack(LOW_BIN - 1, HIGH_BIN + 1);
    let total = 0;
    let logSum = 0;
    let product = 1;
    let peak = LOW_BIN;
    let high = 0;
    for (let k = LOW_BIN; k <= HIGH_BIN; k++) {
      const p = power[k]!;
      total += p;
      // One logarithm per 8 bins: the product of 8 powers stays well inside a double.
      product *= p + 1e-3;
      if ((k - LOW_BIN) % 8 === 7 || k === HIGH_BIN) {
        logSum += Math.log(product);
        product = 1;
      }
      if (p > power[peak]!) peak = k;
      if (k >= HF_BIN) high += p;
    }
    f.highShare = total > 0 ? high / total : 0;
    const bins = HIGH_BIN - LOW_BIN + 1;
    f.flatness = total > 0 ? Math.exp(logSum / bins) / (total / bins + 1e-3) : 1;
    if (total <= 0) {
      f.purity = 0;
      f.twoPeakPurity = 0;
      f.peakHz = 0;
      f.secondPeakHz = 0;
      f.secondPeakRatio = 0;
      f.tone = 'none';
      return f;
    }
    const first = lobeEnergy(power, peak);
    let second = -1;
    for (let k = LOW_BIN; k <= HIGH_BIN; k++) {
      if (Math.abs(k - peak) <= LOBE + 1) continue;
      if (second < 0 || power[k]! > power[second]!) second = k;
    }
    const secondEnergy = second < 0 ? 0 : lobeEnergy(power, second);
    f.purity = Math.min(1, first / total);
    f.twoPeakPurity = Math.min(1, (first + secondEnergy) / total);
    f.peakHz = refinedHz(power, peak);
    f.secondPeakHz = second < 0 ? 0 : refinedHz(power, second);
    f.secondPeakRatio = second < 0 ? 0 : power[second]! / power[peak]!;
    f.tone = classifyTone(f, secondEnergy / first);
    return f;
  }

  /** In-place radix-2 FFT of #re/#im (128 points), already in bit-reversed order. */
  #fft(): void {
    const re = this.#re;
    const im = this.#im;
    const cos = SpectralFrameAnalyzer.#cos;
    const sin = SpectralFrameAnalyzer.#sin;
    for (let size = 2; size <= HALF; size <<= 1) {
      const half = size >> 1;
      const step = HALF / size;
      for (let j = 0; j < half; j++) {
        const wr = cos[j * step]!;
        const wi = -sin[j * step]!;
        for (let a = j; a < HALF; a += size) {
          const b = a + half;
          const tr = wr * re[b]! - wi * im[b]!;
          const ti = wr * im[b]! + wi * re[b]!;
          re[b] = re[a]! - tr;
          im[b] = im[a]! - ti;
          re[a] = re[a]! + tr;
          im[a] = im[a]! + ti;
        }
      }
    }
  }

  /** Power of bins `from`..`to` of the 256-point real transform, from the packed 128-point one. */
  #unpack(from: number, to: number): void {
    const re = this.#re;
    const im = this.#im;
    const power = this.#power;
    const cos = SpectralFrameAnalyzer.#unpackCos;
    const sin = SpectralFrameAnalyzer.#unpackSin;
    for (let k = from; k <= to; k++) {
      const m = (HALF - k) & (HALF - 1);
      const ar = re[k & (HALF - 1)]!;
      const ai = im[k & (HALF - 1)]!;
      const br = re[m]!;
      const bi = -im[m]!;
      // X[k] = E[k] + W^k O[k], with E = (Z[k] + conj Z[N/2-k]) / 2 and O = (Z[k] - conj Z[N/2-k]) / 2i.
      const er = (ar + br) / 2;
      const ei = (ai + bi) / 2;
      const or = (ai - bi) / 2;
      const oi = -(ar - br) / 2;
      const c = cos[k]!;
      const s = sin[k]!;
      const xr = er + c * or + s * oi;
      const xi = ei + c * oi - s * or;
      power[k] = xr * xr + xi * xi;
    }
  }
}

function classifyTone(f: FrameFeatures, secondToFirst: number): ToneKind {
  // A pure tone: one lobe holds the band, its envelope is flat within the frame, and nothing
  // else stands out. A voice's harmonic near a formant can hold most of a frame too, but its
  // neighbours stand within 15 dB of it; a tone's nearest sidelobe is 31 dB down.
  // A beep's own harmonics (2f, 3f) are allowed up to 6 dB down: cheap beepers are not pure.
  const harmonic = f.peakHz > 0 && isHarmonic(f.secondPeakHz / f.peakHz);
  const secondLimit = harmonic ? HARMONIC_MAX_SECOND : SINGLE_MAX_SECOND;
  if (f.purity >= 0.8 && f.envelopeRatio <= 1.35 && f.secondPeakRatio < secondLimit) return 'single';
  // Two tones closer than the lobe (ringback 440+480, dial tone 350+440) make one lobe, but
  // they beat, so their 5 ms envelope swings; two tones far apart (DTMF) make two lobes.
  if (f.purity >= 0.85 && f.envelopeRatio > 1.35) return 'dual';
  if (f.twoPeakPurity >= 0.85 && secondToFirst >= 0.05) return 'dual';
  return 'none';
}

function isHarmonic(ratio: number): boolean {
  return Math.abs(ratio - 2) <= 0.04 || Math.abs(ratio - 3) <= 0.06;
}

function lobeEnergy(power: Float64Array, k: number): number {
  let e = 0;
  for (let i = Math.max(LOW_BIN, k - LOBE); i <= Math.min(HIGH_BIN, k + LOBE); i++) e += power[i]!;
  return e;
}

/** Parabolic interpolation on the log spectrum (a Hann lobe is close to a Gaussian). */
function refinedHz(power: Float64Array, k: number): number {
  const a = Math.log(power[k - 1]! + 1e-9);
  const b = Math.log(power[k]! + 1e-9);
  const c = Math.log(power[k + 1]! + 1e-9);
  const denom = a - 2 * b + c;
  const delta = denom < 0 ? (0.5 * (a - c)) / denom : 0;
  return (k + Math.max(-0.5, Math.min(0.5, delta))) * BIN_HZ;
}

function hann(n: number): Float64Array {
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1));
  return w;
}

function twiddles(fn: (x: number) => number, n: number): Float64Array {
  const t = new Float64Array(n / 2 + 1);
  for (let i = 0; i < t.length; i++) t[i] = fn((2 * Math.PI * i) / n);
  return t;
}

function bitReversal(n: number): Uint16Array {
  const bits = Math.log2(n);
  const r = new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    let x = i;
    let y = 0;
    for (let b = 0; b < bits; b++) {
      y = (y << 1) | (x & 1);
      x >>= 1;
    }
    r[i] = y;
  }
  return r;
}
