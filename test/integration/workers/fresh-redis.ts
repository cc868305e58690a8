import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { inject } from 'vitest';
import { DialerKeys } from '../../../src/kernel/dialer-keys.js';

/**
 * Connections to the run's private Redis and a fresh hash-tagged prefix, so tests never see each
 * other's keys; `cleanup()` deletes the prefix's keys and closes the connections.
 */
export interface FreshRedis {
  readonly url: string;
  readonly prefix: string;
  readonly keys: DialerKeys;
  /** A new connection, closed by cleanup(). */
  connect(): Redis;
  cleanup(): Promise<void>;
}

export function freshRedis(): FreshRedis {
  const url = inject('redisUrl');
  const prefix = `{t-${randomUUID()}}`;
  const connections: Redis[] = [];
  const connect = (): Redis => {
    const redis = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: false });
    connections.push(redis);
    return redis;
  };
  return {
    url,
    prefix,
    keys: new DialerKeys(prefix),
    connect,
    async cleanup() {
      const redis = connect();
      // The trunks' keys are under tags of their own (`{t-…:t:<trunk>}`), not the prefix itself.
      for (const pattern of new DialerKeys(prefix).patterns) {
        let cursor = '0';
        do {
          const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
          cursor = next;
          if (found.length > 0) await redis.del(...found);
        } while (cursor !== '0');
      }
      await Promise.all(connections.splice(0).map((c) => c.quit().catch(() => c.disconnect())));
    },
  };
}

/** A clock the test moves by hand (ms), shared by every limiter or circuit of one test. */
export function manualClock(start = 1_000_000): { now: () => number; advance(ms: number): void } {
  let t = start;
  return {
    now: () => t,
    advance(ms: number) {
      t += ms;
    },
  };
}
