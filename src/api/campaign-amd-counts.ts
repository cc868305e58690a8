import type { RedisConnection } from '../redis/index.js';
import type { DialerKeys } from '../kernel/index.js';
import { streamField } from './stream-field.js';

/** Answered calls by what answering-machine detection decided, from a campaign's newest outcomes. */
export interface CampaignAmdCounts {
  readonly human: number;
  readonly machine: number;
  readonly unknown: number;
  /** Outcomes of the campaign read. */
  readonly outcomes: number;
  /** Stream entries read, all campaigns counted. */
  readonly scanned: number;
}

export interface CampaignAmdCountsOptions {
  readonly redis: RedisConnection;
  readonly keys: DialerKeys;
  readonly campaign: string;
  /** Newest outcome entries read at most. Default 50 000, as the post-dial delay chart. */
  readonly maxEntries?: number;
}

const PAGE = 1000;

/**
 * Counts the AMD result of each final outcome of the campaign (the outcome's `amd`, its last
 * decision), newest outcomes first. The campaign record has no AMD counters, so this is read from
 * the stream, bounded like the post-dial delay chart.
 */
export async function readCampaignAmdCounts(options: CampaignAmdCountsOptions): Promise<CampaignAmdCounts> {
  const maxEntries = options.maxEntries ?? 50_000;
  const idPrefix = `${options.campaign}~`;
  const counts = { human: 0, machine: 0, unknown: 0 };
  let outcomes = 0;
  let scanned = 0;
  let end = '+';
  while (scanned < maxEntries) {
    const entries = (await options.redis.xrevrange(
      options.keys.outcomes,
      end,
      '-',
      'COUNT',
      Math.min(PAGE, maxEntries - scanned),
    )) as Array<[string, string[]]>;
    for (const [, fields] of entries) {
      const jobId = streamField(fields, 'jobId');
      if (jobId === undefined || !jobId.startsWith(idPrefix)) continue;
      outcomes += 1;
      const json = streamField(fields, 'outcome');
      if (json === undefined) continue;
      const result = (JSON.parse(json) as { amd?: { result?: string } }).amd?.result;
      if (result === 'human' || result === 'machine' || result === 'unknown') counts[result] += 1;
    }
    scanned += entries.length;
    const last = entries[entries.length - 1]?.[0];
    if (last === undefined || entries.length < PAGE) break;
    end = `(${last}`;
  }
  return { ...counts, outcomes, scanned };
}
