import type { RedisConnection } from '../redis/index.js';
import type { DialerKeys } from '../kernel/index.js';
import { streamField } from './stream-field.js';

/** How fast a campaign moves now. */
export interface CampaignRate {
  /** Numbers that reached their final outcome per second, over the window. */
  readonly numbersPerS: number;
  /** Calls placed per second over the window, by the attempts of those numbers. */
  readonly callsPerS: number;
}

export interface CampaignRatesOptions {
  readonly redis: RedisConnection;
  readonly keys: DialerKeys;
  /** Default 60 s. */
  readonly windowMs?: number;
  /** Newest outcome entries read at most (all campaigns counted). Default 20 000. */
  readonly maxEntries?: number;
  readonly now?: number;
}

const PAGE = 1000;

/**
 * Every campaign's rate over the last minute, from the outcomes stream: its entry ids are the
 * times the outcomes were written, so only the window is read. Calls still retrying are not in the
 * stream yet; for a campaign in full flow the two rates settle to the same figure.
 */
export async function readCampaignRates(options: CampaignRatesOptions): Promise<Map<string, CampaignRate>> {
  const windowMs = options.windowMs ?? 60_000;
  const maxEntries = options.maxEntries ?? 20_000;
  const now = options.now ?? Date.now();
  const from = now - windowMs;
  const numbers = new Map<string, number>();
  const calls = new Map<string, number>();
  let end = '+';
  let scanned = 0;
  while (scanned < maxEntries) {
    const entries = (await options.redis.xrevrange(
      options.keys.outcomes,
      end,
      String(from),
      'COUNT',
      Math.min(PAGE, maxEntries - scanned),
    )) as Array<[string, string[]]>;
    for (const [, fields] of entries) {
      const jobId = streamField(fields, 'jobId');
      const tilde = jobId?.indexOf('~') ?? -1;
      // Campaign calls only: `<campaign>~<e164>`; single calls are `u~…` and `k~…`.
      if (jobId === undefined || tilde <= 1) continue;
      const campaign = jobId.slice(0, tilde);
      numbers.set(campaign, (numbers.get(campaign) ?? 0) + 1);
      const json = streamField(fields, 'outcome');
      const attempts =
        json === undefined ? [] : ((JSON.parse(json) as { attempts?: Started[] }).attempts ?? []);
      const recent = attempts.filter((a) => typeof a.startedAt === 'number' && a.startedAt >= from).length;
      calls.set(campaign, (calls.get(campaign) ?? 0) + recent);
    }
    scanned += entries.length;
    const last = entries[entries.length - 1]?.[0];
    if (last === undefined || entries.length < PAGE) break;
    end = `(${last}`;
  }
  const rates = new Map<string, CampaignRate>();
  for (const [campaign, n] of numbers) {
    rates.set(campaign, {
      numbersPerS: n / (windowMs / 1000),
      callsPerS: (calls.get(campaign) ?? 0) / (windowMs / 1000),
    });
  }
  return rates;
}

interface Started {
  readonly startedAt?: number;
}
