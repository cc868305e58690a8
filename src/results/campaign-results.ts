import { scanKeys, type RedisConnection } from '../redis/index.js';
import { attemptRecordSchema, callOutcomeSchema, type AttemptRecord } from '../jobs/index.js';
import { validateCampaignName } from '../jobs/index.js';
import type { DialerKeys } from '../kernel/index.js';
import { pendingResultRow, resultRowFromOutcome, type PendingState, type ResultRow } from './result-row.js';

export interface CampaignResultsOptions {
  /** Borrowed; the caller closes it. */
  readonly redis: RedisConnection;
  readonly keys: DialerKeys;
  readonly campaign: string;
  /** The campaign's trunk, whose queue holds its pending jobs. */
  readonly trunk: string;
  /** Rows for numbers without a final outcome yet (`status: pending`). Default true. */
  readonly includePending?: boolean;
  /** SCAN COUNT hint. Default 1000. */
  readonly scanCount?: number;
}

const E164_ID = /~(\+[1-9][0-9]{6,14})$/;

/**
 * Every number of a campaign, one row each, streamed: first those with a final outcome (their
 * outcome keys, `<prefix>:outcome:<campaign>~<e164>`), then those still queued (the BullMQ job
 * hashes of the same ids). Rows come in no particular order.
 *
 * Reads in SCAN batches, so a campaign of millions never sits in memory; the only growing state is
 * a Set of the numbers already written (SCAN may return a key twice while Redis rehashes), about
 * 40 bytes per number. Outcomes are kept 30 days after a call (OutcomeStore retention).
 * @throws InvalidCampaignError for a bad campaign or trunk name.
 */
export async function* readCampaignResults(options: CampaignResultsOptions): AsyncGenerator<ResultRow> {
  const { redis, keys } = options;
  const campaign = validateCampaignName(options.campaign, 'campaign');
  const trunk = validateCampaignName(options.trunk, 'trunk');
  const count = options.scanCount ?? 1000;
  const seen = new Set<number>();
  const firstTime = (jobId: string): string | undefined => {
    const e164 = E164_ID.exec(jobId)?.[1];
    if (e164 === undefined) return undefined;
    const key = Number(e164.slice(1));
    if (seen.has(key)) return undefined;
    seen.add(key);
    return e164;
  };

  const outcomePrefix = keys.outcome(`${campaign}~`);
  for await (const batch of scanKeys(redis, `${globEscape(outcomePrefix)}*`, count)) {
    const ids = batch.map((k) => k.slice(keys.outcome('').length));
    const values = await redis.mget(...batch);
    for (let i = 0; i < ids.length; i++) {
      const json = values[i];
      if (json === null || json === undefined || firstTime(ids[i] as string) === undefined) continue;
      const parsed = callOutcomeSchema.safeParse(JSON.parse(json));
      if (parsed.success) yield resultRowFromOutcome(parsed.data);
    }
  }
  if (options.includePending === false) return;

  const queuePrefix = `${keys.queueKey(trunk)}:`;
  const jobKey = new RegExp(`^${regexEscape(queuePrefix)}(${campaign}~\\+[1-9][0-9]{6,14})$`);
  for await (const batch of scanKeys(redis, `${globEscape(queuePrefix)}${campaign}~*`, count)) {
    // The match also finds a job's `:lock` and `:logs` keys; ids never contain a colon.
    const ids = batch.flatMap((k) => jobKey.exec(k)?.[1] ?? []).filter((id) => !seenId(seen, id));
    if (ids.length === 0) continue;
    const pipeline = redis.pipeline();
    for (const id of ids) {
      pipeline.get(keys.outcome(id));
      pipeline.hget(`${queuePrefix}${id}`, 'data');
      pipeline.exists(`${queuePrefix}${id}:lock`);
      pipeline.sismember(keys.campaignParked(campaign), id);
      pipeline.zscore(`${queuePrefix}delayed`, id);
    }
    // Each job's attempts sit under its number's hash tag, one slot per number: not pipelined
    // with the rest (a Cluster pipeline must stay on one node); sent at once all the same.
    const [replies, attemptLists] = await Promise.all([
      pipeline.exec().then((r) => r ?? []),
      Promise.all(ids.map((id) => redis.hvals(keys.attempts(id, E164_ID.exec(id)?.[1] ?? '')))),
    ]);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as string;
      const at = (k: number): unknown => {
        const [err, value] = replies[i * 5 + k] ?? [null, null];
        if (err) throw err;
        return value;
      };
      const number = firstTime(id);
      if (number === undefined) continue;
      // Finished between the two scans: its outcome is the row.
      const outcomeJson = at(0);
      if (typeof outcomeJson === 'string') {
        const parsed = callOutcomeSchema.safeParse(JSON.parse(outcomeJson));
        if (parsed.success) {
          yield resultRowFromOutcome(parsed.data);
          continue;
        }
      }
      const data = at(1);
      if (typeof data !== 'string') continue; // removed meanwhile
      const state: PendingState =
        Number(at(2)) > 0 ? 'active' : Number(at(3)) > 0 ? 'parked' : at(4) !== null ? 'delayed' : 'waiting';
      const enqueuedAt = (JSON.parse(data) as { enqueuedAt?: unknown }).enqueuedAt;
      yield pendingResultRow({
        jobId: id,
        number,
        state,
        ...(typeof enqueuedAt === 'number' && { enqueuedAt }),
        attempts: parseAttempts(attemptLists[i]),
      });
    }
  }
}

function seenId(seen: ReadonlySet<number>, jobId: string): boolean {
  const e164 = E164_ID.exec(jobId)?.[1];
  return e164 !== undefined && seen.has(Number(e164.slice(1)));
}

function parseAttempts(value: unknown): AttemptRecord[] {
  if (!Array.isArray(value)) return [];
  const out: AttemptRecord[] = [];
  for (const json of value) {
    const parsed = attemptRecordSchema.safeParse(JSON.parse(String(json)));
    if (parsed.success) out.push(parsed.data);
  }
  return out;
}

/** A key prefix as a literal in a SCAN MATCH pattern (a custom prefix may hold `[` or `*`). */
function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

function regexEscape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
