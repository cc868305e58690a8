import { Cluster, Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createRedisConnection, duplicateRedisConnection } from '../../../src/redis/index.js';

// lazyConnect: these only look at how the connections are built; nothing is dialled.
const lazy = { maxRetriesPerRequest: null, lazyConnect: true } as const;

describe('createRedisConnection', () => {
  it('makes a plain connection from a URL', () => {
    const redis = createRedisConnection('redis://app:pw@10.0.0.5:6380/2', lazy) as Redis;
    expect(redis).toBeInstanceOf(Redis);
    expect(redis.options).toMatchObject({ host: '10.0.0.5', port: 6380, db: 2, username: 'app' });
    expect(redis.options.maxRetriesPerRequest).toBeNull();
    redis.disconnect();
  });

  it('makes a Sentinel connection that follows failovers', () => {
    const redis = createRedisConnection(
      {
        sentinels: [{ host: '10.0.0.1', port: 26379 }],
        name: 'mymaster',
        password: 'data-pw',
        sentinelPassword: 'sentinel-pw',
        db: 1,
      },
      lazy,
    ) as Redis;
    expect(redis).toBeInstanceOf(Redis);
    expect(redis.options).toMatchObject({
      sentinels: [{ host: '10.0.0.1', port: 26379 }],
      name: 'mymaster',
      password: 'data-pw',
      sentinelPassword: 'sentinel-pw',
      db: 1,
      failoverDetector: true,
      maxRetriesPerRequest: null,
    });
    redis.disconnect();
  });

  it('makes a Cluster whose per-node options carry the credentials and what BullMQ checks', () => {
    const cluster = createRedisConnection(
      { cluster: [{ host: '10.0.0.1', port: 7000 }], username: 'dialer', password: 'cluster-pw' },
      { ...lazy, enableOfflineQueue: false },
    ) as Cluster;
    expect(cluster).toBeInstanceOf(Cluster);
    expect(cluster.options.lazyConnect).toBe(true);
    expect(cluster.options.enableOfflineQueue).toBe(false);
    // BullMQ refuses a worker connection unless this is null, and reads it here on a Cluster.
    expect(cluster.options.redisOptions).toMatchObject({
      username: 'dialer',
      password: 'cluster-pw',
      maxRetriesPerRequest: null,
    });
    cluster.disconnect();
  });

  it('duplicates either kind with the same settings, some overridden', () => {
    const cluster = createRedisConnection(
      { cluster: [{ host: '10.0.0.1', port: 7000 }], password: 'cluster-pw' },
      lazy,
    );
    const copy = duplicateRedisConnection(cluster, { autoResendUnfulfilledCommands: false }) as Cluster;
    expect(copy).toBeInstanceOf(Cluster);
    expect(copy.options.redisOptions).toMatchObject({
      password: 'cluster-pw',
      maxRetriesPerRequest: null,
      autoResendUnfulfilledCommands: false,
    });
    const redis = createRedisConnection('redis://10.0.0.5:6380', lazy);
    const twin = duplicateRedisConnection(redis, { enableOfflineQueue: false }) as Redis;
    expect(twin).toBeInstanceOf(Redis);
    expect(twin.options).toMatchObject({ host: '10.0.0.5', port: 6380, enableOfflineQueue: false });
    for (const c of [cluster, copy, redis, twin]) c.disconnect();
  });
});
