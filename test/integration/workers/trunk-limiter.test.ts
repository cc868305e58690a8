import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  InvalidTrunkOptionError,
  TrunkClosedError,
  TrunkLimiter,
  type TrunkLimiterOptions,
} from '../../../src/workers/index.js';
import { DncList } from '../../../src/compliance/dnc-list.js';
import { CampaignStore } from '../../../src/jobs/campaign-store.js';
import { silentLogger } from '../../../src/log/create-logger.js';
import { CampaignStateCache } from '../../../src/workers/campaign-state-cache.js';
import { TrunkCircuit } from '../../../src/workers/trunk-circuit.js';
import { TrunkDialGate } from '../../../src/workers/trunk-dial-gate.js';
import { waitFor } from '../../helpers/wait-for.js';
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
    expect(await a.acquireStart()).toMatchObject({ ok: true, at: clock.now(), waitMs: 0 });
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

describe('TrunkLimiter late pace slots', () => {
  // A process starved of CPU (or one that waited for a channel) reaches its booked slot late; sent
  // on, that start would reach the carrier bunched with the one booked after it.
  it('refuses a slot reached past its time by more than the tolerance, takes no channel, and books a new slot after the ones already taken', async () => {
    const clock = manualClock();
    const stalled = limiter({ now: clock.now, cps: 4, lateStartToleranceMs: 20 });
    const other = limiter({ now: clock.now, cps: 4, lateStartToleranceMs: 20 });
    const slot = await stalled.acquireStart();
    if (!slot.ok) throw new Error('expected the first slot at once');
    clock.advance(250);
    const next = await other.acquireStart();
    expect(next).toMatchObject({ ok: true, waitMs: 0 });
    if (!next.ok) return;
    expect(await other.acquireChannelForStart('on-time-call', next)).toBe('granted');
    // The stalled worker wakes 300 ms after its slot, after the next slot went to another worker.
    clock.advance(50);
    expect(await stalled.acquireChannelForStart('late-call', slot)).toBe('late');
    expect(await stalled.channelsInUse()).toBe(1);
    // Re-booking: the late worker's new slot comes after the one already given out, 1/cps later.
    expect(await stalled.acquireStart()).toEqual({ ok: false, waitMs: 200 });
    clock.advance(200);
    const rebooked = await stalled.acquireStart();
    expect(rebooked.ok).toBe(true);
    if (rebooked.ok) expect(await stalled.acquireChannelForStart('late-call', rebooked)).toBe('granted');
    expect(await stalled.channelsInUse()).toBe(2);
  });

  it('sends on a late slot when no start was booked after it, and spaces the next booking from the real send', async () => {
    // Refusing it would book a fresh slot for nothing: a lagging worker would burn the fleet's slots.
    const clock = manualClock();
    const lagging = limiter({ now: clock.now, cps: 4, lateStartToleranceMs: 20 });
    const other = limiter({ now: clock.now, cps: 4, lateStartToleranceMs: 20 });
    const slot = await lagging.acquireStart();
    if (!slot.ok) throw new Error('expected the first slot at once');
    clock.advance(300);
    expect(await lagging.acquireChannelForStart('late-call', slot)).toBe('granted');
    // Sent 300 ms late: the next start is a full interval (250 ms) after the send, not after the slot.
    expect(await other.acquireStart()).toEqual({ ok: false, waitMs: 250 });
    clock.advance(249);
    expect((await other.acquireStart()).ok).toBe(false);
    clock.advance(1);
    expect((await other.acquireStart()).ok).toBe(true);
  });

  it('a late slot that sat waiting for a channel is not re-based: full says full, and later bookings keep theirs', async () => {
    const clock = manualClock();
    const a = limiter({ now: clock.now, cps: 4, maxChannels: 1, lateStartToleranceMs: 20 });
    expect(await a.acquireChannel('busy')).toBe(true);
    const slot = await a.acquireStart();
    if (!slot.ok) throw new Error('expected the first slot at once');
    clock.advance(300);
    expect(await a.acquireChannelForStart('waiting', slot)).toBe('full');
    // Nothing was sent: the pace is where the slot left it.
    expect((await a.acquireStart()).ok).toBe(true);
  });

  it('sends on a slot reached within the tolerance, or exactly at it', async () => {
    const clock = manualClock();
    const a = limiter({ now: clock.now, cps: 4, lateStartToleranceMs: 20 });
    const first = await a.acquireStart();
    if (!first.ok) throw new Error('expected the first slot at once');
    clock.advance(20);
    expect(await a.acquireChannelForStart('call-1', first)).toBe('granted');
    // A booked slot ahead (reserveMs): its time is at + waitMs, not the time of the grant.
    clock.advance(225);
    const booked = await a.acquireStart({ reserveMs: 10 });
    expect(booked).toMatchObject({ ok: true, waitMs: 5 });
    if (!booked.ok) return;
    clock.advance(25);
    expect(await a.acquireChannelForStart('call-2', booked)).toBe('granted');
  });

  it('gives a slot back when every channel is taken: tries that find them full do not push the pace out', async () => {
    const clock = manualClock();
    const a = limiter({ now: clock.now, cps: 4, maxChannels: 1 });
    expect(await a.acquireChannel('busy')).toBe(true);
    // Ten tries while the channel is busy, each booking a slot and finding no channel.
    for (let i = 0; i < 10; i++) {
      const slot = await a.acquireStart({ reserveMs: 1000 });
      if (!slot.ok) throw new Error(`try ${i}: expected a slot, the pace has room`);
      expect(slot.waitMs).toBe(0);
      expect(await a.acquireChannelForStart(`waiting-${i}`, slot)).toBe('full');
      clock.advance(10);
    }
    await a.releaseChannel('busy');
    // The channel is free: the next start goes at once, not ten intervals (2.5 s) out.
    const next = await a.acquireStart();
    expect(next).toMatchObject({ ok: true, waitMs: 0 });
    if (next.ok) expect(await a.acquireChannelForStart('call', next)).toBe('granted');
    // A slot given back is not a gap in the spacing of the ones sent: the next is 1/cps later.
    expect(await a.acquireStart()).toEqual({ ok: false, waitMs: 250 });
  });

  it('keeps a later booking when a slot that found the channels full is not the last one', async () => {
    const clock = manualClock();
    const a = limiter({ now: clock.now, cps: 4, maxChannels: 1 });
    const b = limiter({ now: clock.now, cps: 4, maxChannels: 1 });
    expect(await a.acquireChannel('busy')).toBe(true);
    const first = await a.acquireStart();
    const second = await b.acquireStart({ reserveMs: 1000 });
    if (!first.ok || !second.ok) throw new Error('expected two slots');
    expect(second.waitMs).toBe(250);
    expect(await a.acquireChannelForStart('waiting', first)).toBe('full');
    // b's booking stands: the next slot after it is still 500 ms out, not moved back.
    expect(await a.acquireStart()).toEqual({ ok: false, waitMs: 500 });
  });

  it('says full, not late, for a slot in time when every channel is taken', async () => {
    const clock = manualClock();
    const a = limiter({ now: clock.now, maxChannels: 1 });
    expect(await a.acquireChannel('busy')).toBe(true);
    const slot = await a.acquireStart();
    if (!slot.ok) throw new Error('expected the first slot at once');
    expect(await a.acquireChannelForStart('waiting', slot)).toBe('full');
  });
});

describe('TrunkDialGate late pace slots', () => {
  it('re-books a slot found late at most maxLateRebooks times per check, then delays the job without booking more', async () => {
    // Follows real time (the gate sleeps for real) plus a stall this test adds before each channel
    // step: every slot is reached 300 ms late, and another worker has booked after it each time.
    const t0 = performance.now();
    let stalled = 0;
    const now = (): number => 1_000_000 + performance.now() - t0 + stalled;
    const gateLimiter = limiter({ now, cps: 100, maxChannels: 10, lateStartToleranceMs: 20 });
    const other = limiter({ now, cps: 100, maxChannels: 10, lateStartToleranceMs: 20 });
    const booked = { gate: 0 };
    const acquireStart = gateLimiter.acquireStart.bind(gateLimiter);
    vi.spyOn(gateLimiter, 'acquireStart').mockImplementation(async (options) => {
      const grant = await acquireStart(options);
      if (grant.ok) booked.gate++;
      return grant;
    });
    const acquireChannelForStart = gateLimiter.acquireChannelForStart.bind(gateLimiter);
    let lateSteps = 0;
    vi.spyOn(gateLimiter, 'acquireChannelForStart').mockImplementation(async (leaseId, grant) => {
      // Bounded, so a gate without the cap ends (granted) instead of looping to its deadline.
      if (lateSteps++ < 20) {
        stalled += 300;
        expect((await other.acquireStart()).ok).toBe(true);
      }
      return acquireChannelForStart(leaseId, grant);
    });
    const redis = env.connect();
    const gate = new TrunkDialGate({
      redis,
      keys: env.keys,
      campaigns: new CampaignStateCache(new CampaignStore({ redis, keys: env.keys })),
      dnc: new DncList({ redis, keys: env.keys }),
      limiter: gateLimiter,
      circuit: new TrunkCircuit({ redis, keys: env.keys, trunk: 'carrier' }),
      logger: silentLogger(),
      maxInlineWaitMs: 600_000,
      maxLateRebooks: 3,
    });
    const verdict = await gate.check(
      { v: 1, number: '+5534984149880', trunk: 'carrier', enqueuedAt: 0 },
      'job-1',
    );
    expect(verdict).toMatchObject({ kind: 'delay', reason: 'trunk pace' });
    // The first slot and three re-bookings; the other worker's four starts are the rest of the pace key.
    expect(booked.gate).toBe(4);
    expect(lateSteps).toBe(4);
    const tat = Number(await redis.get(env.keys.trunkLimiter('carrier').cps));
    expect(tat - now()).toBeLessThanOrEqual(10);
    expect(await gateLimiter.channelsInUse()).toBe(0);
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

  it('holdChannel renews on a timer until released', async () => {
    // The limiter's clock is the test's: a lease expires when the test says, not when a loaded
    // machine gets round to it; the renewals themselves are seen in Redis.
    const clock = manualClock();
    const holder = limiter({ now: clock.now, maxChannels: 2, channelLeaseMs: 600 });
    const other = limiter({ now: clock.now, maxChannels: 2, channelLeaseMs: 600 });
    const channels = env.connect();
    const { channels: key } = env.keys.trunkLimiter('carrier');
    const renewedAt = (t: number) => async () => Number(await channels.zscore(key, 'held')) === t + 600;
    expect(await holder.acquireChannel('held')).toBe(true);
    expect(await holder.acquireChannel('not-held')).toBe(true);
    const held = holder.holdChannel('held');
    for (let step = 1; step <= 3; step++) {
      clock.advance(400);
      await waitFor(renewedAt(clock.now()), { what: `the renewal at +${step * 400} ms` });
    }
    // 'not-held' expired at +600; 'held' was renewed past each 400 ms step, before its lease ran out.
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
    const clock = manualClock();
    const redis = env.connect();
    const a = limiter({ redis, now: clock.now, maxChannels: 1, channelLeaseMs: 300 });
    // A sentinel on the same connection and timer period, held after 'held': in each round of
    // renewal timers it comes after a's, and its command after a's on the wire. Its renewal seen
    // at the advanced clock proves a's timer would have renewed by now.
    const sentinel = limiter({
      redis,
      trunk: 'sentinel',
      now: clock.now,
      maxChannels: 1,
      channelLeaseMs: 300,
    });
    expect(await a.acquireChannel('held')).toBe(true);
    a.holdChannel('held');
    expect(await sentinel.acquireChannel('watch')).toBe(true);
    sentinel.holdChannel('watch');
    a.close();
    a.close();
    await expect(a.acquireStart()).rejects.toBeInstanceOf(TrunkClosedError);
    expect(() => a.holdChannel('x')).toThrow(TrunkClosedError);
    const leases = env.connect();
    const start = clock.now();
    clock.advance(200);
    await waitFor(
      async () =>
        Number(await leases.zscore(env.keys.trunkLimiter('sentinel').channels, 'watch')) === start + 500,
      { what: 'the sentinel renewed after close()' },
    );
    expect(Number(await leases.zscore(env.keys.trunkLimiter('carrier').channels, 'held'))).toBe(start + 300);
    clock.advance(100);
    const b = limiter({ now: clock.now, maxChannels: 1, channelLeaseMs: 300 });
    expect(await b.acquireChannel('next')).toBe(true);
  });
});
