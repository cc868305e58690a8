import { Cluster, Redis } from 'ioredis';
import type { RedisTarget } from '../kernel/index.js';
import type { RedisConnection } from './redis-connection.js';

/** How a connection behaves when Redis is away; the same for every kind of target. */
export interface RedisConnectionOptions {
  /**
   * `null` waits for Redis however long it takes (what BullMQ workers require); a number fails a
   * command after that many reconnects.
   */
  readonly maxRetriesPerRequest: number | null;
  readonly lazyConnect?: boolean;
  /** false: a command while disconnected fails at once instead of waiting for the reconnect. */
  readonly enableOfflineQueue?: boolean;
  /** false: a command in flight when the link dropped is not sent again on reconnect. */
  readonly autoResendUnfulfilledCommands?: boolean;
}

/**
 * The one place the dialer opens a Redis connection: a URL gives a plain connection, a Sentinel
 * group a connection that asks the sentinels for the primary (and again after a failover), seed
 * nodes a Cluster. Worker, queues, API, CLI, callbacks and the availability checks all use the
 * connections made here, so a Sentinel or cluster config reaches every one of them.
 */
export function createRedisConnection(target: RedisTarget, options: RedisConnectionOptions): RedisConnection {
  const behaviour = withoutUndefined({ ...options });
  if (typeof target === 'string') return new Redis(target, behaviour);
  if ('sentinels' in target) {
    return new Redis({
      sentinels: target.sentinels.map(({ host, port }) => ({ host, port })),
      name: target.name,
      ...withoutUndefined({
        username: target.username,
        password: target.password,
        sentinelPassword: target.sentinelPassword,
        db: target.db,
      }),
      // Subscribes to the sentinels' +switch-master: the connection moves to the promoted
      // replica as soon as the sentinels agree, not only once the old primary's socket fails.
      failoverDetector: true,
      ...behaviour,
    });
  }
  const { lazyConnect, enableOfflineQueue, ...perNode } = behaviour;
  return new Cluster(
    target.cluster.map(({ host, port }) => ({ host, port })),
    withoutUndefined({
      lazyConnect,
      enableOfflineQueue,
      // Per-node settings: BullMQ reads maxRetriesPerRequest from here on a Cluster.
      redisOptions: {
        ...withoutUndefined({ username: target.username, password: target.password }),
        ...perNode,
      },
    }),
  );
}

/**
 * Another connection to the same Redis with the same settings, some of them overridden: a
 * subscriber, a blocking reader or a producer without an offline queue. `Redis.duplicate` and
 * `Cluster.duplicate` take different arguments, and a Cluster's per-node options are nested.
 */
export function duplicateRedisConnection(
  redis: RedisConnection,
  overrides: Partial<RedisConnectionOptions> = {},
): RedisConnection {
  const changed = withoutUndefined({ ...overrides });
  if (!redis.isCluster) return (redis as Redis).duplicate(changed);
  const cluster = redis as Cluster;
  const { lazyConnect, enableOfflineQueue, ...perNode } = changed;
  return cluster.duplicate(
    [],
    withoutUndefined({
      lazyConnect,
      enableOfflineQueue,
      redisOptions: { ...cluster.options.redisOptions, ...perNode },
    }),
  );
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
