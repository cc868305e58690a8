export interface ThroughputPoint {
  /** Start of the bucket, ISO 8601. */
  readonly at: string;
  /** Call attempts whose INVITE left in the bucket. */
  readonly attempts: number;
}

export interface ThroughputSeries {
  /** Attempts counted, over every bucket. */
  readonly attempts: number;
  /** Width of each bucket, ms (0 without attempts). */
  readonly bucketMs: number;
  /** Every bucket from the first attempt to the last, empty ones included, so gaps show. */
  readonly points: readonly ThroughputPoint[];
}

/** Call attempts over time: the start times (ms) bucketed evenly across their span. */
export function throughputSeries(starts: readonly number[], bucketCount: number): ThroughputSeries {
  if (starts.length === 0) return { attempts: 0, bucketMs: 0, points: [] };
  let from = Infinity;
  let to = -Infinity;
  for (const t of starts) {
    if (t < from) from = t;
    if (t > to) to = t;
  }
  const bucketMs = Math.max(1000, Math.ceil((to - from + 1) / bucketCount));
  const counts = new Array<number>(Math.floor((to - from) / bucketMs) + 1).fill(0);
  for (const t of starts) {
    const index = Math.floor((t - from) / bucketMs);
    counts[index] = (counts[index] ?? 0) + 1;
  }
  return {
    attempts: starts.length,
    bucketMs,
    points: counts.map((attempts, i) => ({ at: new Date(from + i * bucketMs).toISOString(), attempts })),
  };
}
