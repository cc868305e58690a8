/** Percentiles of how late ticks ran, ms. */
export interface PacingStats {
  readonly count: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/** 0.05 ms bins below 100 ms, 1 ms bins from there to 10 s; later values land in the last bin. */
const FINE_MS = 0.05;
const FINE_BINS = 2000;
const COARSE_MS = 1;
const BINS = FINE_BINS + 9900;

function binOf(ms: number): number {
  if (ms < FINE_BINS * FINE_MS) return Math.floor(ms / FINE_MS);
  return Math.min(BINS - 1, FINE_BINS + Math.floor((ms - FINE_BINS * FINE_MS) / COARSE_MS));
}

function upperEdgeOf(bin: number): number {
  return bin < FINE_BINS ? (bin + 1) * FINE_MS : FINE_BINS * FINE_MS + (bin - FINE_BINS + 1) * COARSE_MS;
}

/** A fixed-size histogram of lateness: O(1) per sample, no allocation, 48 KB. */
export class PacingHistogram {
  readonly #bins = new Uint32Array(BINS);
  #count = 0;
  #max = 0;

  record(lateMs: number): void {
    const late = lateMs > 0 ? lateMs : 0;
    const bin = binOf(late);
    this.#bins[bin]!++;
    this.#count++;
    if (late > this.#max) this.#max = late;
  }

  reset(): void {
    this.#bins.fill(0);
    this.#count = 0;
    this.#max = 0;
  }

  get stats(): PacingStats {
    return {
      count: this.#count,
      p50Ms: this.#percentile(0.5),
      p99Ms: this.#percentile(0.99),
      maxMs: this.#max,
    };
  }

  /** Upper edge of the bin holding the q-th sample (never above the max seen). */
  #percentile(q: number): number {
    if (this.#count === 0) return 0;
    const target = Math.ceil(q * this.#count);
    let seen = 0;
    for (let i = 0; i < BINS; i++) {
      seen += this.#bins[i]!;
      if (seen >= target) return Math.min(upperEdgeOf(i), this.#max);
    }
    return this.#max;
  }
}
