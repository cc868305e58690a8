import type { RedisConnection } from '../redis/index.js';
import { MigrationRefusedError } from './migration-refused-error.js';

/**
 * Moves one key to a new name by DUMP, RESTORE (TTL kept) and DEL: the two names are in different
 * slots, where RENAME is refused on a Cluster. Returns false when `from` is gone (moved already).
 * @throws MigrationRefusedError when both names exist: nothing is overwritten.
 */
export async function moveKey(redis: RedisConnection, from: string, to: string): Promise<boolean> {
  const [dump, ttl] = await Promise.all([redis.dumpBuffer(from), redis.pttl(from)]);
  if (dump === null || ttl === -2) return false;
  if ((await redis.exists(to)) === 1)
    throw new MigrationRefusedError(
      `both ${from} and ${to} exist: a worker of the new layout has run; nothing is overwritten`,
    );
  await redis.restore(to, ttl > 0 ? ttl : 0, dump);
  await redis.del(from);
  return true;
}
