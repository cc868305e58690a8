/**
 * How a carrier-error delay is spread:
 * - `equal`: uniform in [ceiling/2, ceiling]. The default: it still scatters a herd of jobs that
 *   failed together, but never retries a failing carrier almost at once as `full` can.
 * - `full`: uniform in [0, ceiling].
 */
export type BackoffJitter = 'equal' | 'full';

export interface CarrierBackoffOptions {
  /** Ceiling of the first retry, ms. */
  readonly baseMs: number;
  /** Largest ceiling, ms. */
  readonly maxMs: number;
  readonly jitter: BackoffJitter;
  /** Returns [0, 1). */
  readonly random: () => number;
}

/** Exponential backoff with jitter: ceiling = min(maxMs, baseMs · 2^(n−1)) for the n-th error in a row. */
export function carrierBackoffMs(consecutiveErrors: number, o: CarrierBackoffOptions): number {
  const n = Math.max(1, Math.floor(consecutiveErrors));
  // 2^52 already exceeds any cap; bounding the exponent keeps the arithmetic finite.
  const ceiling = Math.min(o.maxMs, o.baseMs * 2 ** Math.min(n - 1, 52));
  const r = Math.min(Math.max(o.random(), 0), 1);
  const floor = o.jitter === 'equal' ? ceiling / 2 : 0;
  return Math.round(floor + r * (ceiling - floor));
}
