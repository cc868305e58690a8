import type { RedisConnection } from '../redis/index.js';
import type { Logger } from '../log/index.js';

/** What the worker found of Redis's persistence, for the start-up log and tests. */
export interface RedisDurability {
  /** `always`: every fence write is on disk before it is acknowledged; anything else can lose some. */
  readonly level: 'always' | 'everysec' | 'no-fsync' | 'no-aof' | 'unknown';
  readonly detail: string;
}

/**
 * The fence that keeps a number from being rung twice lives in Redis: a Redis that dies before a
 * fence write reaches its disk comes back without it, and a re-run of the job can dial while the
 * first call is still up. Only `appendonly yes` with `appendfsync always` rules that out; this
 * says so at start, at warn level, when Redis is set up weaker (or will not tell).
 */
export async function checkRedisDurability(redis: RedisConnection, logger: Logger): Promise<RedisDurability> {
  let found: RedisDurability;
  try {
    const [aof, fsync] = await Promise.all([
      redis.config('GET', 'appendonly') as Promise<string[]>,
      redis.config('GET', 'appendfsync') as Promise<string[]>,
    ]);
    const appendonly = aof[1];
    const appendfsync = fsync[1];
    if (appendonly !== 'yes') found = { level: 'no-aof', detail: `appendonly ${appendonly ?? '?'}` };
    else if (appendfsync === 'always')
      found = { level: 'always', detail: 'appendonly yes, appendfsync always' };
    else if (appendfsync === 'everysec')
      found = { level: 'everysec', detail: 'appendonly yes, appendfsync everysec' };
    else found = { level: 'no-fsync', detail: `appendonly yes, appendfsync ${appendfsync ?? '?'}` };
  } catch (error) {
    // Managed Redis often refuses CONFIG: say so rather than guess.
    found = {
      level: 'unknown',
      detail: `CONFIG GET refused: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
  if (found.level === 'always') {
    logger.info({ redisPersistence: found.detail }, 'redis persistence holds every fence write');
  } else {
    logger.warn(
      { redisPersistence: found.detail },
      found.level === 'everysec'
        ? 'redis may lose the last second of writes if it crashes: a call placed in that second can be placed again after the restart (set appendfsync always)'
        : 'redis may lose fence writes if it restarts: a number can be rung twice after a Redis crash or restart (set appendonly yes and appendfsync always)',
    );
  }
  return found;
}
