import type { RedisConnection } from '../redis/index.js';
import type { DialerKeys } from '../kernel/index.js';
import { streamField } from './stream-field.js';

/** How fast a campaign moves now. */
export interface CampaignRate {
  /** Numbers that reached their final outcome per second, over the window. */
  readonly numbersPerS: number;
  /** Calls placed per second over the window, by the attempts of those numbers. */
  readonly callsPerS: number;
  /**
   * Post-dial delay now: the median over the attempts whose INVITE left within the post-dial
   * window (`pddWindowMs`), and how many; absent when none measured one.
   */
  readonly postDialDelay?: { readonly p50Ms: number; readonly samples: number };
}

export interface CampaignRatesOptions {
  readonly redis: RedisConnection;
  readonly keys: DialerKeys;
  /** Default 60 s. */
  readonly windowMs?: number;
  /** Window of the post-dial delay now; wider than the rate's, as a minute holds few samples. */
  readonly pddWindowMs?: number;
  /** Newest outcome entries read at most (all campaigns counted). Default 20 000. */
  readonly maxEntries?: number;
  readonly now?: number;
}

const PAGE = 1000;
/** The post-dial delay window's default, which the console page names. */
export const PDD_NOW_WINDOW_MS = 5 * 60_000;

/**
 * Every campaign's rate over the last minute, from the outcomes stream: its entry ids are the
 * times the outcomes were written, so only the window is read (the post-dial delay's, the wider
 * one; the rates count only their own). Calls still retrying are not in the stream yet; for a
 * campaign in full flow the two rates settle to the same figure.
 */
export async function readCampaignRates(options: CampaignRatesOptions): Promise<Map<string, CampaignRate>> {
  const windowMs = options.windowMs ?? 60_000;
  const maxEntries = options.maxEntries ?? 20_000;
  const now = options.now ?? Date.now();
  const from = now - windowMs;
  const pddFrom = now - (options.pddWindowMs ?? PDD_NOW_WINDOW_MS);
  const numbers = new Map<string, number>();
  const calls = new Map<string, number>();
  const delays = new Map<string, number[]>();
  let end = '+';
  let scanned = 0;
  while (scanned < maxEntries) {
    const entries = (await options.redis.xrevrange(
      options.keys.outcomes,
      end,
      String(Math.min(from, pddFrom)),
      'COUNT',
      Math.min(PAGE, maxEntries - scanned),
    )) as Array<[string, string[]]>;
    for (const [id, fields] of entries) {
      const jobId = streamField(fields, 'jobId');
      const tilde = jobId?.indexOf('~') ?? -1;
      // Campaign calls only: `<campaign>~<e164>`; single calls are `u~…` and `k~…`.
      if (jobId === undefined || tilde <= 1) continue;
      const campaign = jobId.slice(0, tilde);
      const json = streamField(fields, 'outcome');
      const attempts =
        json === undefined ? [] : ((JSON.parse(json) as { attempts?: Started[] }).attempts ?? []);
      for (const a of attempts) {
        const sent = a.inviteSentAt ?? a.startedAt;
        if (typeof a.postDialDelayMs !== 'number' || typeof sent !== 'number' || sent < pddFrom) continue;
        const list = delays.get(campaign) ?? [];
        list.push(a.postDialDelayMs);
        delays.set(campaign, list);
      }
      // The entry id is the write time in ms: older than the rate's window counts only above.
      if (Number(id.slice(0, id.indexOf('-'))) < from) continue;
      numbers.set(campaign, (numbers.get(campaign) ?? 0) + 1);
      const recent = attempts.filter((a) => typeof a.startedAt === 'number' && a.startedAt >= from).length;
      calls.set(campaign, (calls.get(campaign) ?? 0) + recent);
    }
    scanned += entries.length;
    const last = entries[entries.length - 1]?.[0];
    if (last === undefined || entries.length < PAGE) break;
    end = `(${last}`;
  }
  const rates = new Map<string, CampaignRate>();
  for (const campaign of new Set([...numbers.keys(), ...delays.keys()])) {
    const pdd = delays.get(campaign)?.sort((a, b) => a - b);
    rates.set(campaign, {
      numbersPerS: (numbers.get(campaign) ?? 0) / (windowMs / 1000),
      callsPerS: (calls.get(campaign) ?? 0) / (windowMs / 1000),
      ...(pdd !== undefined && {
        // Nearest rank, as the page's other post-dial delay figures.
        postDialDelay: {
          p50Ms: pdd[Math.max(1, Math.ceil(0.5 * pdd.length)) - 1] as number,
          samples: pdd.length,
        },
      }),
    });
  }
  return rates;
}

interface Started {
  readonly startedAt?: number;
  readonly inviteSentAt?: number;
  readonly postDialDelayMs?: number;
}
