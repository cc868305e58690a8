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
/** Share of the band in one lobe a single tone needs, and in one or two lobes a dual tone needs. */
const SINGLE_PURITY = 0.8;
/** Loudest over quietest 5 ms RMS within which a frame's envelope is steady, as one tone's is. */
const STEADY_ENVELOPE = 1.35;
const DUAL_PURITY = 0.85;
/** Under this share in one or two lobes a frame is nowhere near a tone (a tone needs 0.8). */
const NEAR_TONE_PURITY = 0.5;
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
  /** The strongest peak, Hz: refined between bins on a frame that may be a tone, else its bin's. */
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
  /**
   * Flatness of 250 Hz–2 kHz alone, the part of the band every line keeps: a line that loses the
   * top of the band tilts the whole band's spectrum, and a tilted noise looks peaky (voiced) to
   * the whole band's flatness but not to this one.
   */
  lowFlatness: number;
  tone: ToneKind;
  /**
   * Whether the spectral fields were measured on this frame (false: carried over from the one
   * before, see SpectralFrameAnalyzer.analyze). A count of frames with some spectral property
   * counts fresh frames only, or it counts one frame twice.
   */
  fresh: boolean;
}

/** Window, even/odd sample packing and bit reversal folded into one table walk. */
const WINDOW = hann(FRAME_SAMPLES);
/** Where even sample 2n (and odd 2n + 1) lands in the bit-reversed packed input. */
const SLOT = bitReversal(HALF);
/** Packed points that hold samples: the rest of the 256 are the zero padding. */
const FILLED = FRAME_SAMPLES / 2;
/**
 * Twiddles of the FFT passes, interleaved in the order the inner loops read them: for the
 * two-stage passes starting at size 8 and 32, (w1, w2) = (W_size^j, W_2size^j) as re, im, re, im;
 * for the last stage, W_128^j as re, im. W_m = e^(-2πi/m).
 */
const PASS_8 = passTwiddles(8);
const PASS_32 = passTwiddles(32);
const PASS_128 = stageTwiddles(HALF);
/** The unpacking step of the real FFT turns on the full-size circle. */
const UNPACK_COS = twiddles(Math.cos, FFT_SIZE);
const UNPACK_SIN = twiddles(Math.sin, FFT_SIZE);

/**
 * Per-frame spectral features from one 256-point FFT of a Hann-windowed 20 ms frame. Buffers are
 * allocated once per analyzer and the returned object is reused: a call pushes 50 frames a second
 * and the whole analysis must stay under 2 µs a frame (1 % of a core per 100 calls). So the
 * window and packing are one pass with the time-domain sums, the first two FFT stages (whose
 * twiddles are 1 and -i) are one radix-4 pass with no multiplication, and unpacking the real
 * transform, the band sums and the peak search are one pass over the band.
 */
export class SpectralFrameAnalyzer {
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
    lowFlatness: 1,
    tone: 'none',
    fresh: false,
  };
  /**
   * Only single tones are asked for (a beep, a SIT): set once who answered is decided, when the
   * voice detector and the dual-tone tracker have no more use for a frame. Then flatness and the
   * share above 2 kHz (logarithms every frame) are not computed, and a frame whose 5 ms envelope
   * swings is not transformed at all: a single steady tone's envelope never does, so it could
   * only be dual or no tone, and to a beep or SIT both are the same.
   */
  onlySingleTones = false;
  /** The last transform found nothing near a tone: the next frame may keep its spectral shape. */
  #steady = false;

  /**
   * The frame's features. The time-domain ones (level, envelope) are always this frame's. The
   * spectral ones are too, except on a frame that follows one whose transform found nothing near
   * a tone: then the previous frame's shape (flatness, share above 2 kHz) stands for this one
   * and the transform waits for the next frame. The spectrum of speech or noise changes slower
   * than 40 ms (a phoneme lasts 50–200 ms); every tone to be found lasts 120 ms or more, so its
   * start is seen at most 20 ms late, and once a frame shows one every frame is transformed
   * until it ends, so its length and end stay exact.
   */
  analyze(frame: Int16Array): Readonly<FrameFeatures> {
    const f = this.#features;
    let abs = 0;
    let square = 0;
    let subMax = 0;
    let subMin = Infinity;
    let i = 0;
    for (let b = 0; b < SUB_BLOCKS; b++) {
      let sub = 0;
      for (const end = i + SUB_BLOCK; i < end; i++) {
        const x = frame[i]!;
        // Math.abs, not a sign test: the sign of speech samples is a coin toss the branch
        // predictor loses half the time, which cost more than the whole FFT.
        abs += Math.abs(x);
        sub += x * x;
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
      f.lowFlatness = WHITE_FLATNESS;
      f.tone = 'none';
      f.fresh = true;
      this.#steady = false;
      return f;
    }
    if (this.#steady) {
      this.#steady = false;
      f.fresh = false;
      return f;
    }
    if (this.onlySingleTones && f.envelopeRatio > STEADY_ENVELOPE) {
      f.tone = 'none';
      f.fresh = false;
      return f;
    }
    f.fresh = true;
    this.#pack(frame);
    this.#fft();
    const power = this.#power;
    this.#unpack();
    let total = 0;
    if (!this.onlySingleTones) total = this.#shape();
    else for (let k = LOW_BIN; k <= HIGH_BIN; k++) total += power[k]!;
    let peak = LOW_BIN;
    let peakPower = power[LOW_BIN]!;
    for (let k = LOW_BIN + 1; k <= HIGH_BIN; k++) {
      if (power[k]! > peakPower) {
        peakPower = power[k]!;
        peak = k;
      }
    }
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
    // The strongest bin outside the first peak's lobe (and its edge bin): below it, then above.
    let second = -1;
    let secondPower = -1;
    for (let k = LOW_BIN, stop = Math.min(HIGH_BIN + 1, peak - LOBE - 1); k < stop; k++) {
      if (power[k]! > secondPower) {
        secondPower = power[k]!;
        second = k;
      }
    }
    for (let k = Math.max(LOW_BIN, peak + LOBE + 2); k <= HIGH_BIN; k++) {
      if (power[k]! > secondPower) {
        secondPower = power[k]!;
        second = k;
      }
    }
    const secondEnergy = second < 0 ? 0 : lobeEnergy(power, second);
    f.purity = Math.min(1, first / total);
    f.twoPeakPurity = Math.min(1, (first + secondEnergy) / total);
    // Refining costs logarithms, and only a frame that may be a tone is asked its frequency.
    const mayBeTone = f.purity >= SINGLE_PURITY || f.twoPeakPurity >= DUAL_PURITY;
    f.peakHz = mayBeTone ? refinedHz(power, peak) : peak * BIN_HZ;
    f.secondPeakHz = second < 0 ? 0 : mayBeTone ? refinedHz(power, second) : second * BIN_HZ;
    f.secondPeakRatio = second < 0 ? 0 : secondPower / peakPower;
    f.tone = classifyTone(f, secondEnergy / first);
    this.#steady = f.tone === 'none' && f.purity < NEAR_TONE_PURITY && f.twoPeakPurity < NEAR_TONE_PURITY;
    return f;
  }

  /**
   * Flatness (whole band and below 2 kHz) and the share above 2 kHz into the features; returns
   * the band's total power.
   */
  #shape(): number {
    // Band sums in blocks of at most 16 bins, one logarithm per block: 16 powers (each under
    // 7e12, plus 1e-3) multiply to between 1e-48 and 1e206, well inside a double. A block never
    // straddles 2 kHz, so the low band's flatness comes from the same logarithms.
    const power = this.#power;
    const f = this.#features;
    let total = 0;
    let logSum = 0;
    let low = 0;
    let logLow = 0;
    for (let k = LOW_BIN; k <= HIGH_BIN;) {
      const end = Math.min(HIGH_BIN + 1, k + 16, k < HF_BIN ? HF_BIN : Infinity);
      const lowBlock = k < HF_BIN;
      let product = 1;
      let sum = 0;
      for (; k < end; k++) {
        const p = power[k]!;
        sum += p;
        product *= p + 1e-3;
      }
      const log = Math.log(product);
      total += sum;
      logSum += log;
      if (lowBlock) {
        low += sum;
        logLow += log;
      }
    }
    f.highShare = total > 0 ? (total - low) / total : 0;
    const bins = HIGH_BIN - LOW_BIN + 1;
    const lowBins = HF_BIN - LOW_BIN;
    f.flatness = total > 0 ? Math.exp(logSum / bins) / (total / bins + 1e-3) : 1;
    f.lowFlatness = low > 0 ? Math.exp(logLow / lowBins) / (low / lowBins + 1e-3) : 1;
    return total;
  }

  /** Windowed, the even samples into #re and the odd into #im, in bit-reversed order, zero-padded. */
  #pack(frame: Int16Array): void {
    const re = this.#re;
    const im = this.#im;
    let n = 0;
    for (; n < FILLED; n++) {
      const i = 2 * n;
      const slot = SLOT[n]!;
      re[slot] = frame[i]! * WINDOW[i]!;
      im[slot] = frame[i + 1]! * WINDOW[i + 1]!;
    }
    for (; n < HALF; n++) {
      const slot = SLOT[n]!;
      re[slot] = 0;
      im[slot] = 0;
    }
  }

  /**
   * In-place FFT of #re/#im (128 points), already in bit-reversed order: sizes 2 and 4 as one
   * radix-4 pass (twiddles 1 and -i), sizes 8 and 16 and then 32 and 64 as two-stage passes,
   * size 128 as one radix-2 stage: four passes over the data instead of seven.
   */
  #fft(): void {
    const re = this.#re;
    const im = this.#im;
    for (let a = 0; a < HALF; a += 4) {
      const r0 = re[a]!;
      const i0 = im[a]!;
      const r1 = re[a + 1]!;
      const i1 = im[a + 1]!;
      const r2 = re[a + 2]!;
      const i2 = im[a + 2]!;
      const r3 = re[a + 3]!;
      const i3 = im[a + 3]!;
      const sr = r0 + r1;
      const si = i0 + i1;
      const dr = r0 - r1;
      const di = i0 - i1;
      const tr = r2 + r3;
      const ti = i2 + i3;
      // (x2 - x3) times -i.
      const ur = i2 - i3;
      const ui = r3 - r2;
      re[a] = sr + tr;
      im[a] = si + ti;
      re[a + 2] = sr - tr;
      im[a + 2] = si - ti;
      re[a + 1] = dr + ur;
      im[a + 1] = di + ui;
      re[a + 3] = dr - ur;
      im[a + 3] = di - ui;
    }
    // Sizes 8 and 16, then 32 and 64: two radix-2 stages per pass over the data.
    for (let size = 8; size < HALF; size <<= 2) {
      const quarter = size >> 1;
      const tw = size === 8 ? PASS_8 : PASS_32;
      for (let start = 0; start < HALF; start += 2 * size) {
        for (let j = 0; j < quarter; j++) {
          // Stage `size` on (p0, p1) and (p2, p3) with w1; stage 2·size on (p0, p2) with w2 and
          // on (p1, p3) with w2·(-i).
          const w1r = tw[4 * j]!;
          const w1i = tw[4 * j + 1]!;
          const w2r = tw[4 * j + 2]!;
          const w2i = tw[4 * j + 3]!;
          const p0 = start + j;
          const p1 = p0 + quarter;
          const p2 = p0 + size;
          const p3 = p2 + quarter;
          const x1r = re[p1]!;
          const x1i = im[p1]!;
          const x3r = re[p3]!;
          const x3i = im[p3]!;
          const t1r = w1r * x1r - w1i * x1i;
          const t1i = w1r * x1i + w1i * x1r;
          const t3r = w1r * x3r - w1i * x3i;
          const t3i = w1r * x3i + w1i * x3r;
          const x0r = re[p0]!;
          const x0i = im[p0]!;
          const x2r = re[p2]!;
          const x2i = im[p2]!;
          const a0r = x0r + t1r;
          const a0i = x0i + t1i;
          const a1r = x0r - t1r;
          const a1i = x0i - t1i;
          const a2r = x2r + t3r;
          const a2i = x2i + t3i;
          const a3r = x2r - t3r;
          const a3i = x2i - t3i;
          const ur = w2r * a2r - w2i * a2i;
          const ui = w2r * a2i + w2i * a2r;
          // w2·(-i)·a3 = (w2i·a3r + w2r·a3i... ) written out: -i·(w2·a3).
          const mr = w2r * a3r - w2i * a3i;
          const mi = w2r * a3i + w2i * a3r;
          const vr = mi;
          const vi = -mr;
          re[p0] = a0r + ur;
          im[p0] = a0i + ui;
          re[p2] = a0r - ur;
          im[p2] = a0i - ui;
          re[p1] = a1r + vr;
          im[p1] = a1i + vi;
          re[p3] = a1r - vr;
          im[p3] = a1i - vi;
        }
      }
    }
    // Size 128: one radix-2 stage.
    const half = HALF >> 1;
    for (let j = 0; j < half; j++) {
      const wr = PASS_128[2 * j]!;
      const wi = PASS_128[2 * j + 1]!;
      const b = j + half;
      const br = re[b]!;
      const bi = im[b]!;
      const tr = wr * br - wi * bi;
      const ti = wr * bi + wi * br;
      const ar = re[j]!;
      const ai = im[j]!;
      re[b] = ar - tr;
      im[b] = ai - ti;
      re[j] = ar + tr;
      im[j] = ai + ti;
    }
  }

  /**
   * Power of bins LOW_BIN - 1 .. HIGH_BIN + 1 of the 256-point real transform, from the packed
   * 128-point one. Bins k and 128 - k read the same two points, so they are done together.
   */
  #unpack(): void {
    const re = this.#re;
    const im = this.#im;
    const power = this.#power;
    for (let k = LOW_BIN - 1; k <= HALF / 2; k++) {
      const m = HALF - k;
      const ar = re[k]!;
      const ai = im[k]!;
      const br = re[m]!;
      const bi = -im[m]!;
      // X[k] = E[k] + W^k O[k], with E = (Z[k] + conj Z[N/2-k]) / 2 and O = (Z[k] - conj Z[N/2-k]) / 2i.
      // For m = 128 - k: E[m] = conj E[k], O[m] = conj O[k], W^m = -conj W^k, so
      // X[m] = conj(E[k] - W^k O[k]): the same products, one sign apart.
      const er = (ar + br) / 2;
      const ei = (ai + bi) / 2;
      const or = (ai - bi) / 2;
      const oi = -(ar - br) / 2;
      const c = UNPACK_COS[k]!;
      const s = UNPACK_SIN[k]!;
      const wr = c * or + s * oi;
      const wi = c * oi - s * or;
      const xr = er + wr;
      const xi = ei + wi;
      power[k] = xr * xr + xi * xi;
      if (m !== k && m <= HIGH_BIN + 1) {
        const yr = er - wr;
        const yi = ei - wi;
        power[m] = yr * yr + yi * yi;
      }
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
  if (f.purity >= SINGLE_PURITY && f.envelopeRatio <= STEADY_ENVELOPE && f.secondPeakRatio < secondLimit)
    return 'single';
  // Two tones closer than the lobe (ringback 440+480, dial tone 350+440) make one lobe, but
  // they beat, so their 5 ms envelope swings; two tones far apart (DTMF) make two lobes.
  if (f.purity >= DUAL_PURITY && f.envelopeRatio > STEADY_ENVELOPE) return 'dual';
  if (f.twoPeakPurity >= DUAL_PURITY && secondToFirst >= 0.05) return 'dual';
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

function passTwiddles(size: number): Float64Array {
  const t = new Float64Array(2 * size);
  for (let j = 0; j < size / 2; j++) {
    t[4 * j] = Math.cos((2 * Math.PI * j) / size);
    t[4 * j + 1] = -Math.sin((2 * Math.PI * j) / size);
    t[4 * j + 2] = Math.cos((Math.PI * j) / size);
    t[4 * j + 3] = -Math.sin((Math.PI * j) / size);
  }
  return t;
}

function stageTwiddles(size: number): Float64Array {
  const t = new Float64Array(size);
  for (let j = 0; j < size / 2; j++) {
    t[2 * j] = Math.cos((2 * Math.PI * j) / size);
    t[2 * j + 1] = -Math.sin((2 * Math.PI * j) / size);
  }
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
