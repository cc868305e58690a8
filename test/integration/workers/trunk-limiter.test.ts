import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  InvalidTrunkOptionError,
  TrunkClosedError,
  TrunkLimiter,
  type TrunkLimiterOptions,
} from '../../../src/workers/index.js';
import { freshRedis, manualClock, type FreshRedis } from './fresh-redis.js';

let env: FreshRedis;
const limiters: TrunkLimiter[] = [];

beforeEach(() => {
  env = freshRedis();
});

afterEach(async () => {
  for (const limiter of limiters.splice(0)) limiter.close();
  await env.cleanup();
});

/** A limiter on its own Redis connection, as another worker process would have. */
function limiter(options: Partial<TrunkLimiterOptions> = {}): TrunkLimiter {
  const created = new TrunkLimiter({
    redis: env.connect(),
    keys: env.keys,
    trunk: 'carrier',
    cps: 10,
    maxChannels: 2,
    ...options,
  });
  limiters.push(created);
  return created;
}

describe('TrunkLimiter calls per second', () => {
  it('spaces starts evenly at the cap by default, across instances', async () => {
    const clock = manualClock();
    const a = limiter({ now: clock.now });
    const b = limiter({ now: clock.now });
    expect(await a.acquireStart()).toEqual({ ok: true, at: clock.now(), waitMs: 0 });
    expect(await b.acquireStart()).toEqual({ ok: false, waitMs: 100 });
    clock.advance(60);
    expect(await a.acquireStart()).toEqual({ ok: false, waitMs: 40 });
    clock.advance(40);
    expect((await b.acquireStart()).ok).toBe(true);
  });

  it('books a start that is at most reserveMs away, so the caller waits once instead of asking again', async () => {
    const clock = manualClock();
    const a = limiter({ now: clock.now });
    expect((await a.acquireStart({ reserveMs: 150 })).ok).toBe(true);
    expect(await a.acquireStart({ reserveMs: 150 })).toMatchObject({ ok: true, waitMs: 100 });
    // The next free slot is now 200 ms away: beyond the reservation window.
    expect(await a.acquireStart({ reserveMs: 150 })).toEqual({ ok: false, waitMs: 200 });
    clock.advance(100);
    // The booked slot was really taken: the next one is still 100 ms off.
    expect(await a.acquireStart()).toEqual({ ok: false, waitMs: 100 });
  });

  it('allows a burst of at most the configured size, then the pace', async () => {
    const clock = manualClock();
    const a = limiter({ now: clock.now, burst: 3 });
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await a.acquireStart());
    expect(results.map((r) => r.ok)).toEqual([true, true, true, false]);
    expect(results[3]).toEqual({ ok: false, waitMs: 100 });
    // An idle second refills the burst, never beyond it.
    clock.advance(5_000);
    let granted = 0;
    while ((await a.acquireStart()).ok) granted++;
    expect(granted).toBe(3);
  });

  it('counts grants in one-second windows of the clock: never more than cps', async () => {
    const clock = manualClock();
    const a = limiter({ now: clock.now, cps: 7 });
    const grants: number[] = [];
    while (clock.now() < 1_000_000 + 5_000) {
      const grant = await a.acquireStart();
      if (grant.ok) grants.push(grant.at);
      else clock.advance(Math.min(grant.waitMs, 13));
    }
    for (let second = 0; second < 5; second++) {
      const start = 1_000_000 + second * 1_000;
      expect(grants.filter((t) => t >= start && t < start + 1_000)).toHaveLength(7);
    }
  });

  it('rejects options it cannot work with, naming the field and the value', () => {
    expect(() => limiter({ cps: 0 })).toThrow(InvalidTrunkOptionError);
    expect(() => limiter({ cps: 0 })).toThrow(/cps: 0/);
    expect(() => limiter({ maxChannels: 1.5 })).toThrow(/maxChannels: 1.5/);
    expect(() => limiter({ cps: 5, burst: 6 })).toThrow(/burst: 6/);
    expect(() => limiter({ trunk: '' })).toThrow(/trunk: ""/);
  });
});

describe('TrunkLimiter adaptive pace', () => {
  it('slowDown halves the pace for every worker, once per cooldown, down to 0.5 cps', async () => {
    const clock = manualClock();
    const a = limiter({ now: clock.now });
    const b = limiter({ now: clock.now });
    expect(await a.slowDown('503 Service Unavailable')).toEqual({ before: 10, after: 5, changed: true });
    expect(await b.currentCps()).toBe(5);
    // Ten workers seeing the same burst of 503s is one signal.
    expect(await b.slowDown('503 Service Unavailable')).toEqual({ before: 5, after: 5, changed: false });
    const paces = [];
    for (let i = 0; i < 6; i++) {
      clock.advance(1_000);
      paces.push((await b.slowDown('CPS exceeded')).after);
    }
    expect(paces).toEqual([2.5, 1.25, 0.625, 0.5, 0.5, 0.5]);
    expect(await a.currentCps()).toBe(0.5);
  });

  it('starts follow the slowed pace', async () => {
    const clock = manualClock();
    const a = limiter({ now: clock.now });
    await a.slowDown('503');
    expect((await a.acquireStart()).ok).toBe(true);
    expect(await a.acquireStart()).toEqual({ ok: false, waitMs: 200 });
  });

  it('recordSuccess ramps back by 10% of the cap per window, never above the cap', async () => {
    const clock = manualClock();
    const a = limiter({ now: clock.now });
    const b = limiter({ now: clock.now });
    await a.slowDown('503');
    // Within the ramp window of the cut: no increase yet.
    expect((await b.recordSuccess()).changed).toBe(false);
    const paces: number[] = [];
    for (let i = 0; i < 7; i++) {
      clock.advance(1_000);
      paces.push((await b.recordSuccess()).after);
      // Many successes in one window are one step.
      await a.recordSuccess();
    }
    expect(paces).toEqual([6, 7, 8, 9, 10, 10, 10]);
    expect(await a.currentCps()).toBe(10);
    expect(await env.connect().hget(env.keys.trunkLimiter('carrier').pace, 'cps')).toBeNull();
  });

  it('pauseFor blocks new starts fleet-wide until then, and a shorter pause does not shorten it', async () => {
    const clock = manualClock();
    const a = limiter({ now: clock.now });
    const b = limiter({ now: clock.now });
    expect(await a.pauseFor(5_000, 'Retry-After: 5')).toBe(clock.now() + 5_000);
    expect(await b.acquireStart()).toEqual({ ok: false, waitMs: 5_000 });
    await b.pauseFor(1_000);
    clock.advance(4_000);
    expect(await a.acquireStart()).toEqual({ ok: false, waitMs: 1_000 });
    clock.advance(1_000);
    expect((await b.acquireStart()).ok).toBe(true);
  });
});

describe('TrunkLimiter channels', () => {
  it('holds the channel cap across instances; release frees a channel', async () => {
    const clock = manualClock();
    const a = limiter({ now: clock.now });
    const b = limiter({ now: clock.now });
    expect(await a.acquireChannel('call-1')).toBe(true);
    expect(await b.acquireChannel('call-2')).toBe(true);
    expect(await b.acquireChannel('call-3')).toBe(false);
    // Re-acquiring a lease already held is not a second channel.
    expect(await a.acquireChannel('call-1')).toBe(true);
    expect(await a.channelsInUse()).toBe(2);
    await a.releaseChannel('call-1');
    expect(await b.acquireChannel('call-3')).toBe(true);
    expect(await b.channelsInUse()).toBe(2);
  });

  it('an expired lease (a crashed worker never renewed it) frees its channel', async () => {
    const clock = manualClock();
    const crashed = limiter({ now: clock.now, maxChannels: 1, channelLeaseMs: 1_000 });
    const alive = limiter({ now: clock.now, maxChannels: 1, channelLeaseMs: 1_000 });
    expect(await crashed.acquireChannel('dead-call')).toBe(true);
    clock.advance(999);
    expect(await alive.acquireChannel('new-call')).toBe(false);
    clock.advance(1);
    expect(await alive.acquireChannel('new-call')).toBe(true);
    expect(await alive.channelsInUse()).toBe(1);
    // The crashed worker's lease is gone: renewing it says so instead of stealing the channel back.
    expect(await crashed.renewChannel('dead-call')).toBe(false);
  });

  it('renewChannel extends a live lease', async () => {
    const clock = manualClock();
    const a = limiter({ now: clock.now, maxChannels: 1, channelLeaseMs: 1_000 });
    expect(await a.acquireChannel('long-call')).toBe(true);
    clock.advance(800);
    expect(await a.renewChannel('long-call')).toBe(true);
    clock.advance(800);
    expect(await a.acquireChannel('other')).toBe(false);
    expect(await a.channelsInUse()).toBe(1);
  });

  it('holdChannel renews on a timer until released (Redis clock)', async () => {
    const holder = limiter({ maxChannels: 2, channelLeaseMs: 600 });
    const other = limiter({ maxChannels: 2, channelLeaseMs: 600 });
    expect(await holder.acquireChannel('held')).toBe(true);
    expect(await holder.acquireChannel('not-held')).toBe(true);
    const held = holder.holdChannel('held');
    await sleep(1_500);
    // 'not-held' expired; 'held' was renewed every 200 ms.
    expect(await other.channelsInUse()).toBe(1);
    expect(await other.acquireChannel('a')).toBe(true);
    expect(await other.acquireChannel('b')).toBe(false);
    await held.release();
    await held.release();
    expect(await other.acquireChannel('b')).toBe(true);
  });

  it('a held lease found expired is taken back if there is room, else leaseLost is emitted', async () => {
    const clock = manualClock();
    const holder = limiter({ now: clock.now, maxChannels: 1, channelLeaseMs: 30 });
    const other = limiter({ now: clock.now, maxChannels: 1, channelLeaseMs: 30 });
    expect(await holder.acquireChannel('stalled')).toBe(true);
    const lost = new Promise<string>((resolve) => holder.on('leaseLost', resolve));
    // The worker stalled past its lease (clock jumps) and another worker took the channel meanwhile.
    clock.advance(1_000);
    expect(await other.acquireChannel('newcomer')).toBe(true);
    const held = holder.holdChannel('stalled');
    expect(await lost).toBe('stalled');
    await held.release();
    // With room again, the next stall is healed by the renewal timer instead.
    await other.releaseChannel('newcomer');
    expect(await holder.acquireChannel('stalled-2')).toBe(true);
    clock.advance(1_000);
    const held2 = holder.holdChannel('stalled-2');
    await vi.waitFor(async () => expect(await other.channelsInUse()).toBe(1));
    expect(await other.acquireChannel('newcomer')).toBe(false);
    await held2.release();
  });

  it('close() is idempotent, stops renewals, and later calls reject', async () => {
    const a = limiter({ maxChannels: 1, channelLeaseMs: 300 });
    expect(await a.acquireChannel('held')).toBe(true);
    a.holdChannel('held');
    a.close();
    a.close();
    await expect(a.acquireStart()).rejects.toBeInstanceOf(TrunkClosedError);
    expect(() => a.holdChannel('x')).toThrow(TrunkClosedError);
    await sleep(600);
    const b = limiter({ maxChannels: 1, channelLeaseMs: 300 });
    expect(await b.acquireChannel('next')).toBe(true);
  });
});
