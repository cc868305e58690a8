import type { RedisConnection } from '../redis/index.js';
import type { DialerKeys } from '../kernel/index.js';
import { streamField } from './stream-field.js';
import { throughputSeries, type ThroughputSeries } from './throughput-series.js';

export interface PostDialDelayPoint {
  /** Start of the bucket, ISO 8601. */
  readonly at: string;
  readonly samples: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
}

export interface PostDialDelaySeries {
  readonly samples: number;
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
  /** Width of each bucket, ms. */
  readonly bucketMs: number;
  readonly points: readonly PostDialDelayPoint[];
  /** Outcome stream entries read (the newest first, up to the limit). */
  readonly scanned: number;
  /** Every attempt of those outcomes over time (with or without a post-dial delay): the same scan. */
  readonly throughput: ThroughputSeries;
}

export interface PostDialDelayOptions {
  readonly redis: RedisConnection;
  readonly keys: DialerKeys;
  readonly campaign: string;
  /** Newest outcome entries read from the stream, all campaigns counted. Default 50 000. */
  readonly maxEntries?: number;
  /** Buckets across the time span. Default 30. */
  readonly buckets?: number;
}

interface AttemptTiming {
  readonly startedAt?: number;
  readonly inviteSentAt?: number;
  readonly postDialDelayMs?: number;
}

const PAGE = 1000;

/**
 * Post-dial delay of a campaign's calls over time, from the outcomes stream (newest entries first,
 * so a page of a huge or old campaign shows its recent calls): every attempt that measured one is
 * a sample at the time its INVITE left, bucketed evenly across the span.
 */
export async function readPostDialDelaySeries(options: PostDialDelayOptions): Promise<PostDialDelaySeries> {
  const maxEntries = options.maxEntries ?? 50_000;
  const bucketCount = options.buckets ?? 30;
  const idPrefix = `${options.campaign}~`;
  const samples: Array<{ t: number; ms: number }> = [];
  const starts: number[] = [];
  let end = '+';
  let scanned = 0;
  while (scanned < maxEntries) {
    const entries = (await options.redis.xrevrange(
      options.keys.outcomes,
      end,
      '-',
      'COUNT',
      Math.min(PAGE, maxEntries - scanned),
    )) as Array<[string, string[]]>;
    if (entries.length === 0) break;
    for (const [, fields] of entries) {
      const jobId = streamField(fields, 'jobId');
      if (jobId === undefined || !jobId.startsWith(idPrefix)) continue;
      const json = streamField(fields, 'outcome');
      if (json === undefined) continue;
      const attempts = (JSON.parse(json) as { attempts?: AttemptTiming[] }).attempts ?? [];
      for (const a of attempts) {
        const t = a.inviteSentAt ?? a.startedAt;
        if (typeof t === 'number') starts.push(t);
        if (typeof a.postDialDelayMs === 'number' && typeof t === 'number') {
          samples.push({ t, ms: a.postDialDelayMs });
        }
      }
    }
    scanned += entries.length;
    const last = entries[entries.length - 1]?.[0];
    if (last === undefined || entries.length < PAGE) break;
    end = `(${last}`;
  }
  return { ...bucketize(samples, bucketCount, scanned), throughput: throughputSeries(starts, bucketCount) };
}

function bucketize(
  samples: Array<{ t: number; ms: number }>,
  bucketCount: number,
  scanned: number,
): Omit<PostDialDelaySeries, 'throughput'> {
  if (samples.length === 0) {
    return { samples: 0, p50Ms: null, p95Ms: null, bucketMs: 0, points: [], scanned };
  }
  let from = Infinity;
  let to = -Infinity;
  for (const s of samples) {
    if (s.t < from) from = s.t;
    if (s.t > to) to = s.t;
  }
  const bucketMs = Math.max(1000, Math.ceil((to - from + 1) / bucketCount));
  const buckets = new Map<number, number[]>();
  for (const s of samples) {
    const index = Math.floor((s.t - from) / bucketMs);
    const list = buckets.get(index) ?? [];
    list.push(s.ms);
    buckets.set(index, list);
  }
  const points = [...buckets.entries()]
    .sort(([a], [b]) => a - b)
    .map(([index, values]) => {
      values.sort((a, b) => a - b);
      return {
        at: new Date(from + index * bucketMs).toISOString(),
        samples: values.length,
        p50Ms: percentile(values, 0.5),
        p95Ms: percentile(values, 0.95),
      };
    });
  const all = samples.map((s) => s.ms).sort((a, b) => a - b);
  return {
    samples: all.length,
    p50Ms: percentile(all, 0.5),
    p95Ms: percentile(all, 0.95),
    bucketMs,
    points,
    scanned,
  };
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number {
  const rank = Math.max(1, Math.ceil(p * sorted.length));
  return sorted[rank - 1] as number;
}
