import type { RedisConnection } from './redis-connection.js';

/** ioredis keeps this private; it is how the connection itself fails what it queued (see below). */
interface OfflineQueueFlush {
  flushQueue(error: Error): void;
}

/**
 * Lets a connection made with `enableOfflineQueue: false` queue its commands until it is first
 * ready, for at most `timeoutMs`, then fails what is still queued with `error()` and refuses
 * offline commands from then on, as it was made to. Why: BullMQ counts a Cluster in state
 * `connect` (a node reached, the slots not loaded yet) as ready, so a queue used right after its
 * client was made sends commands the Cluster refuses ("Cluster isn't ready"). After the first
 * `ready`, a command sent while the link is down still fails at once (never resent behind the
 * caller's back).
 */
export function queueUntilFirstReady(redis: RedisConnection, timeoutMs: number, error: () => Error): void {
  if (redis.status === 'ready') return;
  redis.options.enableOfflineQueue = true;
  const settle = (failQueued: boolean): void => {
    clearTimeout(timer);
    redis.off('ready', onReady);
    redis.off('end', onEnd);
    redis.options.enableOfflineQueue = false;
    // Not public in ioredis' types, but it is what the connection does itself on `end`.
    if (failQueued) (redis as unknown as OfflineQueueFlush).flushQueue(error());
  };
  const onReady = (): void => settle(false);
  const onEnd = (): void => settle(false);
  const timer = setTimeout(() => settle(true), timeoutMs);
  timer.unref();
  redis.once('ready', onReady);
  redis.once('end', onEnd);
}
