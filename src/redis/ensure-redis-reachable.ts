import type { RedisTarget } from '../kernel/index.js';
import { describeRedisTarget } from './describe-redis-target.js';
import type { RedisConnection } from './redis-connection.js';
import { RedisUnreachableError } from './redis-unreachable-error.js';

/** How long a first PING may take before the process gives up on Redis. */
export const REDIS_PING_TIMEOUT_MS = 2000;

/**
 * One PING with a deadline. Connections made with `maxRetriesPerRequest: null` (as BullMQ wants)
 * queue every command until Redis comes back, so without this a command against a dead Redis
 * waits forever without a word. Throws RedisUnreachableError naming the target (password masked)
 * and the last connection error.
 */
export async function ensureRedisReachable(
  redis: RedisConnection,
  target: RedisTarget,
  timeoutMs = REDIS_PING_TIMEOUT_MS,
): Promise<void> {
  let lastError: Error | undefined;
  const onError = (error: Error): void => {
    lastError = error;
  };
  redis.on('error', onError);
  let timer: NodeJS.Timeout | undefined;
  try {
    const answered = await Promise.race([
      redis.ping().then(
        () => true,
        (error: unknown) => {
          lastError = error instanceof Error ? error : new Error(String(error));
          return false;
        },
      ),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
    if (answered) return;
    const why = lastError ? `: ${lastError.message}` : '';
    throw new RedisUnreachableError(
      `Redis at ${describeRedisTarget(target)} did not answer PING within ${timeoutMs} ms${why}`,
      lastError ? { cause: lastError } : undefined,
    );
  } finally {
    clearTimeout(timer);
    redis.off('error', onError);
  }
}
