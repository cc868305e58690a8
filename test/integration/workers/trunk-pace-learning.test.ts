import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TrunkLimiter, type TrunkLimiterOptions } from '../../../src/workers/index.js';
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
    cps: 20,
    maxChannels: 1000,
    ...options,
  });
  limiters.push(created);
  return created;
}

let lease = 0;
/** One call sent, as the dial gate counts it: the channel taken right before the INVITE. */
async function sendCall(l: TrunkLimiter): Promise<void> {
  const id = `call-${++lease}`;
  expect(await l.acquireChannel(id, { countsAsStart: true })).toBe(true);
  await l.releaseChannel(id);
}

/** `n` calls `everyMs` apart, from the limiter(s) in turn; the clock ends `everyMs` after the last. */
async function sendCalls(
  ls: TrunkLimiter[],
  clock: { advance(ms: number): void },
  n: number,
  everyMs: number,
) {
  for (let i = 0; i < n; i++) {
    await sendCall(ls[i % ls.length]!);
    clock.advance(everyMs);
  }
}

describe('TrunkLimiter learns the carrier limit from its refusals', () => {
  it('a 503 sets the ceiling to the rate the carrier accepted, fleet-wide, and the pace to 0.95 × it', async () => {
    const clock = manualClock();
    const a = limiter({ now: clock.now });
    const b = limiter({ now: clock.now });
    // Two workers send 10 calls over 2 s between them (5/s), all taken; the 11th is refused.
    await sendCalls([a, b], clock, 10, 200);
    await sendCall(a);
    const change = await a.slowDown('503 CPS Limit Exceeded');
    expect(change.ceiling).toBeCloseTo(5, 5);
    expect(change.after).toBeCloseTo(4.75, 5);
    expect(await b.paceState()).toEqual({ cps: 4.75, configuredCps: 20, ceiling: 5 });
  });

  it('dialing at its pace, a rare refusal puts the ceiling at the pace × the share accepted', async () => {
    const clock = manualClock();
    const a = limiter({ now: clock.now, cps: 5 });
    // 49 taken at the trunk's own pace (a few ms lost per start would read as 4.8/s), 1 refused.
    await sendCalls([a], clock, 49, 204);
    await sendCall(a);
    expect((await a.slowDown('503')).ceiling).toBeCloseTo(4.9, 2);
  });

  it('time paused for Retry-After does not count as time the carrier refused to fill', async () => {
    const clock = manualClock();
    const a = limiter({ now: clock.now });
    await sendCalls([a], clock, 10, 200);
    await a.pauseFor(1_000, 'Retry-After: 1');
    clock.advance(1_000);
    await sendCalls([a], clock, 5, 200);
    await sendCall(a);
    // 15 taken in 4 s of which 1 s paused: 5/s, not 3.75/s.
    expect((await a.slowDown('503')).ceiling).toBeCloseTo(5, 5);
  });

  it('without learning, or with too few calls taken to measure, a 503 halves the pace as before', async () => {
    const clock = manualClock();
    const off = limiter({ now: clock.now, learnCeiling: false });
    await sendCalls([off], clock, 10, 200);
    expect(await off.slowDown('503')).toEqual({ before: 20, after: 10, changed: true });
    expect((await off.paceState()).ceiling).toBeUndefined();

    const env2 = limiter({ now: clock.now, trunk: 'other' });
    await sendCalls([env2], clock, 2, 200);
    expect(await env2.slowDown('503')).toEqual({ before: 20, after: 10, changed: true });
  });

  it('after learning: quick ramp only up to the ceiling, then a slow probe; never above the configured cps', async () => {
    const clock = manualClock();
    const a = limiter({ now: clock.now });
    await sendCalls([a], clock, 10, 200);
    await sendCall(a);
    await a.slowDown('503');
    // The pace sits at the target already, so within 10 s nothing moves it...
    clock.advance(1_000);
    expect((await a.recordSuccess()).changed).toBe(false);
    // ...then one probe step, or the target where the slowly rising ceiling has taken it by then.
    clock.advance(9_000);
    const probe = await a.recordSuccess();
    expect(probe.after).toBeGreaterThanOrEqual(4.85);
    expect(probe.after).toBeLessThanOrEqual(0.95 * (await a.paceState()).ceiling! + 1e-3);
    clock.advance(5_000);
    expect((await a.recordSuccess()).changed).toBe(false);
    // The ceiling rises back to the cap over 20 minutes, so a raised carrier limit is found again.
    clock.advance(10 * 60_000 - 15_000);
    const half = await a.paceState();
    expect(half.ceiling).toBeGreaterThan(12);
    expect(half.ceiling).toBeLessThan(13);
    clock.advance(10 * 60_000);
    expect((await a.paceState()).ceiling).toBeUndefined();
    for (let i = 0; i < 20; i++) {
      clock.advance(1_000);
      await a.recordSuccess();
    }
    expect(await a.paceState()).toEqual({ cps: 20, configuredCps: 20 });
  });

  it('a pace cut below the learned ceiling ramps back quickly to 0.95 × it, not beyond', async () => {
    const clock = manualClock();
    const a = limiter({ now: clock.now, minAcceptedToLearn: 3 });
    await sendCalls([a], clock, 20, 100); // 10/s taken
    await sendCall(a);
    expect((await a.slowDown('503')).ceiling).toBeCloseTo(10, 5);
    // A burst of refusals right after a pause: too short a span since the cut to learn, so the
    // whole window is measured again; the pace only ever goes down on a 503.
    clock.advance(1_000);
    const cut = await a.slowDown('503');
    expect(cut.after).toBeLessThan(cut.before);
    const paces: number[] = [];
    for (let i = 0; i < 4; i++) {
      clock.advance(1_000);
      paces.push((await a.recordSuccess()).after);
    }
    const { ceiling } = await a.paceState();
    expect(Math.max(...paces)).toBeLessThanOrEqual(0.95 * ceiling! + 1e-3);
    expect(paces.at(-1)).toBeCloseTo(0.95 * ceiling!, 1);
  });

  it('rejects learning options it cannot work with, naming the field and the value', () => {
    expect(() => limiter({ ceilingMargin: 1.5 })).toThrow(/ceilingMargin: 1.5/);
    expect(() => limiter({ measureWindowMs: 500 })).toThrow(/measureWindowMs: 500/);
    expect(() => limiter({ probeStepCps: 0 })).toThrow(/probeStepCps: 0/);
    expect(() => limiter({ learnCeiling: 'yes' as unknown as boolean })).toThrow(/learnCeiling: "yes"/);
  });
});
