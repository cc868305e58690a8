import type { RedisConnection } from '../redis/index.js';
import { globEscape, type DialerKeys } from '../kernel/index.js';

/** What a campaign's pending numbers are doing, as far as the queue shows it. */
export interface CampaignBacklog {
  /** In the queue, ready for the next free worker. */
  readonly waiting: number;
  /** On a call now (or being set up). */
  readonly active: number;
  /** Delayed after an attempt: busy, no answer, carrier trouble. */
  readonly retrying: number;
  /** Delayed before any attempt: outside calling hours, daily cap, a trunk held. */
  readonly held: number;
  /** Parked while the campaign is paused. */
  readonly parked: number;
  /** True when more delayed jobs were there than were looked at: the split is of the first ones. */
  readonly partial: boolean;
}

export interface CampaignBacklogOptions {
  readonly redis: RedisConnection;
  readonly keys: DialerKeys;
  readonly campaign: string;
  readonly trunk: string;
  /** `total - done` of the campaign: what the parts add up to. */
  readonly pending: number;
  /** Delayed jobs inspected at most. Default 20 000. */
  readonly maxDelayed?: number;
}

/**
 * Splits `pending` by reading the campaign's jobs (ids `<campaign>~…`) in its trunk's BullMQ
 * queue: delayed ones with attempts behind them are retries, without any they were held before
 * dialing (the gate's verdict: calling hours, daily cap, a held trunk), and those in the parked set
 * were parked by a pause. Waiting is the rest, so the parts always add up to `pending`.
 */
export async function readCampaignBacklog(options: CampaignBacklogOptions): Promise<CampaignBacklog> {
  const { redis, keys, campaign, trunk } = options;
  const maxDelayed = options.maxDelayed ?? 20_000;
  const queueKey = keys.queueKey(trunk);
  const match = `${globEscape(campaign)}~*`;
  const parkedIds = new Set(await redis.smembers(keys.campaignParked(campaign)));
  let retrying = 0;
  let held = 0;
  let parked = 0;
  let seen = 0;
  let cursor = '0';
  let partial = false;
  do {
    const [next, members] = await redis.zscan(`${queueKey}:delayed`, cursor, 'MATCH', match, 'COUNT', 1000);
    cursor = next;
    const ids = members.filter((_, i) => i % 2 === 0);
    // A campaign job's id ends with its number, whose hash tag holds the job's attempts: one slot
    // per number, so not one pipeline (a Cluster pipeline must stay on one node).
    const replies = await Promise.all(
      ids.map((id) => redis.exists(keys.attempts(id, id.slice(id.lastIndexOf('~') + 1)))),
    );
    ids.forEach((id, i) => {
      if (parkedIds.has(id)) parked += 1;
      else if (replies[i] === 1) retrying += 1;
      else held += 1;
    });
    seen += ids.length;
    if (seen >= maxDelayed && cursor !== '0') {
      partial = true;
      break;
    }
  } while (cursor !== '0');
  const active = (await redis.lrange(`${queueKey}:active`, 0, -1)).filter((id) =>
    id.startsWith(`${campaign}~`),
  ).length;
  const waiting = Math.max(0, options.pending - retrying - held - parked - active);
  return { waiting, active, retrying, held, parked, partial };
}
