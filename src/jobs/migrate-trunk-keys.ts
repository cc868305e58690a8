import { globEscape, type DialerKeys } from '../kernel/index.js';
import { scanKeys, type RedisConnection } from '../redis/index.js';
import { moveKey } from './move-key.js';
import { refuseWhileWorkersRun } from './refuse-while-workers-run.js';

export interface MigrateTrunkKeysOptions {
  readonly redis: RedisConnection;
  readonly keys: DialerKeys;
  /** Trunks to move; those the workers published in `keys.trunks` are added. */
  readonly trunks: readonly string[];
  /** Count what would move, move nothing. */
  readonly dryRun?: boolean;
}

export interface TrunkKeysMoved {
  readonly trunk: string;
  /** Keys moved (or, in a dry run, to move) from `<prefix>:…` to `<trunk prefix>:…`. */
  readonly keys: number;
}

/**
 * Moves each trunk's keys from the single-tag layout (`{dialer}:calls-<trunk>:…`,
 * `{dialer}:limit:<trunk>:…`, `{dialer}:circuit:<trunk>…`, `{dialer}:format:<trunk>:…`) to the
 * trunk's own hash tag (`{dialer:t:<trunk>}:…`, same suffix), so an existing deployment keeps its
 * queued jobs, pace, circuit and learned formats. DUMP, RESTORE (TTL kept) and DEL, one key at a
 * time: the two names are in different slots, where RENAME is refused on a Cluster. Run with the
 * workers stopped (refused while a worker's lease is alive) and the producers stopped; run again
 * after an interruption, it goes on where it stopped.
 */
export async function migrateTrunkKeys(options: MigrateTrunkKeysOptions): Promise<TrunkKeysMoved[]> {
  const { redis, keys } = options;
  const old = keys.prefix;
  await refuseWhileWorkersRun(redis, keys);
  const published = await redis.hkeys(keys.trunks);
  const trunks = [...new Set([...options.trunks, ...published])].sort();
  const out: TrunkKeysMoved[] = [];
  for (const trunk of trunks) {
    const target = keys.trunkPrefix(trunk);
    if (target === old) {
      out.push({ trunk, keys: 0 });
      continue;
    }
    const found = new Set<string>();
    const base = `${globEscape(old)}:`;
    const name = globEscape(trunk);
    const patterns = [
      `${base}${globEscape(keys.queueName(trunk))}:*`,
      `${base}limit:${name}:*`,
      `${base}circuit:${name}`,
      `${base}circuit:${name}:*`,
      `${base}format:${name}:*`,
    ];
    for (const pattern of patterns)
      for await (const batch of scanKeys(redis, pattern, 1000)) for (const key of batch) found.add(key);
    let moved = 0;
    for (const key of found) {
      const to = `${target}${key.slice(old.length)}`;
      if (options.dryRun) {
        moved++;
        continue;
      }
      if (await moveKey(redis, key, to)) moved++;
    }
    out.push({ trunk, keys: moved });
  }
  return out;
}
