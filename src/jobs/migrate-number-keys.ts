import { globEscape, type DialerKeys } from '../kernel/index.js';
import { scanKeys, type RedisConnection } from '../redis/index.js';
import { moveKey } from './move-key.js';
import { refuseWhileWorkersRun } from './refuse-while-workers-run.js';

export interface MigrateNumberKeysOptions {
  readonly redis: RedisConnection;
  readonly keys: DialerKeys;
  /** Trunks whose queues may hold the jobs (to learn a job's number); those in `keys.trunks` are added. */
  readonly trunks: readonly string[];
  /** Count what would move, move nothing. */
  readonly dryRun?: boolean;
}

export interface NumberKeysMoved {
  /** Fences, daily counts and attempt hashes moved (or, in a dry run, to move) to their number's tag. */
  readonly keys: number;
  /** Attempt hashes left where they were: no job, outcome or job id says which number they dial. */
  readonly unknown: number;
}

const E164_ID = /~(\+[1-9][0-9]{6,14})$/;

/**
 * Moves each number's fence (`{dialer}:live:<e164>`), daily attempt count
 * (`{dialer}:daily:<day>:<e164>`) and each job's attempts (`{dialer}:attempts:<jobId>`) to the
 * number's own hash tag (`{dialer:n:<e164>}:…`, same
 * suffix). A job's number comes from its id (`<campaign>~<e164>`), else its data in a trunk's
 * queue (old place or new), else its outcome (`to`); attempts of a job known nowhere are left and
 * counted (nothing reads them). Same rules as the trunks' move: workers and producers stopped,
 * DUMP/RESTORE/DEL key by key, run again after an interruption.
 */
export async function migrateNumberKeys(options: MigrateNumberKeysOptions): Promise<NumberKeysMoved> {
  const { redis, keys } = options;
  const old = keys.prefix;
  if (keys.numberPrefix('+1') === old) return { keys: 0, unknown: 0 };
  await refuseWhileWorkersRun(redis, keys);
  const trunks = [...new Set([...options.trunks, ...(await redis.hkeys(keys.trunks))])].sort();
  const moves: Array<[string, string]> = [];
  let unknown = 0;
  const base = `${globEscape(old)}:`;
  for await (const batch of scanKeys(redis, `${base}live:+*`, 1000))
    for (const key of batch) {
      const e164 = key.slice(`${old}:live:`.length);
      moves.push([key, keys.liveCall(e164)]);
    }
  // `daily:<day>:<e164>`: the count of the daily attempt cap (48 h TTL, kept).
  for await (const batch of scanKeys(redis, `${base}daily:*:+*`, 1000))
    for (const key of batch) {
      const [day, e164] = key.slice(`${old}:daily:`.length).split(':');
      if (day !== undefined && e164 !== undefined) moves.push([key, keys.dailyAttempts(day, e164)]);
    }
  for await (const batch of scanKeys(redis, `${base}attempts:*`, 1000))
    for (const key of batch) {
      const jobId = key.slice(`${old}:attempts:`.length);
      const e164 = await numberOfJob(redis, keys, trunks, jobId);
      if (e164 === undefined) unknown++;
      else moves.push([key, keys.attempts(jobId, e164)]);
    }
  let moved = 0;
  for (const [from, to] of moves) {
    if (options.dryRun) moved++;
    else if (await moveKey(redis, from, to)) moved++;
  }
  return { keys: moved, unknown };
}

async function numberOfJob(
  redis: RedisConnection,
  keys: DialerKeys,
  trunks: readonly string[],
  jobId: string,
): Promise<string | undefined> {
  const fromId = E164_ID.exec(jobId)?.[1];
  if (fromId !== undefined) return fromId;
  for (const trunk of trunks)
    for (const queueKey of [keys.queueKey(trunk), `${keys.prefix}:${keys.queueName(trunk)}`]) {
      const number = field(await redis.hget(`${queueKey}:${jobId}`, 'data'), 'number');
      if (number !== undefined) return number;
    }
  return field(await redis.get(keys.outcome(jobId)), 'to');
}

function field(json: string | null, name: string): string | undefined {
  if (json === null) return undefined;
  try {
    const value = (JSON.parse(json) as Record<string, unknown>)[name];
    return typeof value === 'string' && /^\+[1-9][0-9]{6,14}$/.test(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
