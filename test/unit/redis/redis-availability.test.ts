import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { RedisAvailability } from '../../../src/redis/index.js';

describe('RedisAvailability', () => {
  let redis: Redis | undefined;
  afterEach(() => redis?.disconnect());

  it('holds one listener per connection event however many operations it watches', async () => {
    // Never connected: the operations below are plain promises, only the listeners are looked at.
    redis = new Redis({ lazyConnect: true });
    const availability = new RedisAvailability(redis, 'redis://:secret@127.0.0.1:6379');
    const before = ['ready', 'close', 'end'].map((event) => redis?.listenerCount(event));
    const releases: Array<() => void> = [];
    const watched = Array.from({ length: 50 }, () =>
      availability.watch(new Promise<number>((resolve) => releases.push(() => resolve(1)))),
    );
    expect(['ready', 'close', 'end'].map((event) => redis?.listenerCount(event))).toEqual(before);
    for (const release of releases) release();
    expect(await Promise.all(watched)).toHaveLength(50);
    availability.close();
    availability.close();
    expect(redis.listenerCount('close')).toBe((before[1] ?? 0) - 1);
  });

  it('fails a watched operation whose connection closed and did not come back in time', async () => {
    redis = new Redis({ lazyConnect: true });
    const availability = new RedisAvailability(redis, 'redis://:secret@127.0.0.1:6379');
    const watched = availability.watch(new Promise<never>(() => undefined), 20);
    redis.emit('close');
    await expect(watched).rejects.toMatchObject({ code: 'REDIS_UNREACHABLE' });
    await expect(watched).rejects.not.toThrow(/secret/);
    availability.close();
  });
});
