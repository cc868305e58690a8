/** Frames per second of the energy envelope: one value per 20 ms frame. */
const ENVELOPE_RATE = 50;
/**
 * The syllabic band of the envelope, 2–8 Hz: a difference of two one-pole low-passes. Speech's
 * energy rises and falls with its syllables, 3–8 a second in every language, by 10–30 dB; a
 * held note, a sustained chord, a hum or steady noise barely moves in that band.
 */
const FAST = Math.exp((-2 * Math.PI * 8) / ENVELOPE_RATE);
const SLOW = Math.exp((-2 * Math.PI * 2) / ENVELOPE_RATE);
/** The depth is averaged over the last second or so (exponential, time constant 1 s). */
const AVERAGE = Math.exp(-1 / ENVELOPE_RATE);
/**
 * Dips are counted only this far below the loudest recent frame: deeper than that is silence, and
 * how silent a pause is (digital silence, or a noisy line) says nothing of speech or music.
 */
const FLOOR_BELOW_PEAK_DB = 25;
/** How fast the recent peak forgets a loud frame, dB a frame (15 dB a second). */
const PEAK_DECAY_DB = 0.3;

/**
 * How much the frame energy envelope swings at syllable rate (2–8 Hz) over about the last second,
 * as an RMS in dB: about 3-10 dB for someone talking, whatever the line keeps of the band above
 * 2 kHz, and under 2 dB for held or slowly changing music and for steady noise. Music whose notes
 * decay fast comes closer (about 2-2.5 dB for a piano-like note every 150-600 ms), so the
 * analyzer takes a long sound for speech on this only past a margin (see CallProgressAnalyzer).
 * Costs a few multiplications a frame and needs no transform.
 */
export class SyllabicModulation {
  #fast = 0;
  #slow = 0;
  #peakDb = -Infinity;
  #power = 0;
  #started = false;

  /** One 20 ms frame's energy, dBFS. */
  push(energyDb: number): void {
    this.#peakDb = Math.max(energyDb, this.#peakDb - PEAK_DECAY_DB);
    const e = Math.max(energyDb, this.#peakDb - FLOOR_BELOW_PEAK_DB);
    if (!this.#started) {
      this.#fast = e;
      this.#slow = e;
      this.#started = true;
    }
    this.#fast = FAST * this.#fast + (1 - FAST) * e;
    this.#slow = SLOW * this.#slow + (1 - SLOW) * e;
    const band = this.#fast - this.#slow;
    this.#power = AVERAGE * this.#power + (1 - AVERAGE) * band * band;
  }

  /** RMS of the envelope's 2–8 Hz band over about the last second, dB. */
  get depthDb(): number {
    return Math.sqrt(this.#power);
  }
}
