import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { ComplianceInputError, DailyAttemptCap } from '../../../src/compliance/index.js';
import { DialerKeys } from '../../../src/kernel/dialer-keys.js';

const NUMBER = '+5534984149880';
let redis: Redis;
let other: Redis;
let keys: DialerKeys;

beforeEach(() => {
  redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
  other = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
  keys = new DialerKeys(`{t-${randomUUID()}}`);
});

afterEach(async () => {
  const found = (await Promise.all(keys.patterns.map((p) => redis.keys(p)))).flat();
  if (found.length > 0) await redis.del(...found);
  redis.disconnect();
  other.disconnect();
});

describe('DailyAttemptCap', () => {
  it('counts attempts up to max and refuses the next without counting it', async () => {
    let now = Date.UTC(2026, 2, 8, 23, 59);
    const cap = new DailyAttemptCap({ redis, keys, max: 2, now: () => now });
    expect(await cap.tryCount(NUMBER)).toEqual({ ok: true, count: 1 });
    expect(await cap.tryCount(NUMBER)).toEqual({ ok: true, count: 2 });
    expect(await cap.tryCount(NUMBER)).toEqual({ ok: false, count: 2 });
    expect(await cap.tryCount(NUMBER)).toEqual({ ok: false, count: 2 });
    expect(await cap.count(NUMBER)).toBe(2);
    expect(await cap.tryCount('+447400123456')).toEqual({ ok: true, count: 1 });

    // A new UTC day starts a new count.
    now = Date.UTC(2026, 2, 9, 0, 0);
    expect(await cap.tryCount(NUMBER)).toEqual({ ok: true, count: 1 });
  });

  it('keys the counter by UTC day and lets it expire after 48 hours', async () => {
    const cap = new DailyAttemptCap({ redis, keys, max: 3, now: () => Date.UTC(2026, 0, 31, 22) });
    await cap.tryCount(NUMBER);
    const key = keys.dailyAttempts('2026-01-31', NUMBER);
    expect(await redis.get(key)).toBe('1');
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(47 * 3_600_000);
    expect(ttl).toBeLessThanOrEqual(48 * 3_600_000);
  });

  it('hands out exactly max attempts to workers racing on separate connections', async () => {
    const a = new DailyAttemptCap({ redis, keys, max: 5 });
    const b = new DailyAttemptCap({ redis: other, keys, max: 5 });
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).tryCount(NUMBER)));
    expect(results.filter((r) => r.ok)).toHaveLength(5);
    expect(await a.count(NUMBER)).toBe(5);
  });

  it('refuses a bad max or a number that is not E.164', async () => {
    expect(() => new DailyAttemptCap({ redis, keys, max: 0 })).toThrow(/^max 0: /);
    const cap = new DailyAttemptCap({ redis, keys, max: 1 });
    await expect(cap.tryCount('34984149880')).rejects.toThrow(ComplianceInputError);
  });
});
