import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log/index.js';
import {
  CircuitSubscriber,
  TrunkCircuit,
  TrunkClosedError,
  type CircuitControlMessage,
  type TrunkCircuitOptions,
} from '../../../src/workers/index.js';
import { freshRedis, manualClock, type FreshRedis } from './fresh-redis.js';

let env: FreshRedis;
const subscribers: CircuitSubscriber[] = [];

beforeEach(() => {
  env = freshRedis();
});

afterEach(async () => {
  await Promise.all(subscribers.splice(0).map((s) => s.close()));
  await env.cleanup();
});

/** A circuit on its own Redis connection, as another worker process would have. */
function circuit(options: Partial<TrunkCircuitOptions> = {}): TrunkCircuit {
  return new TrunkCircuit({ redis: env.connect(), keys: env.keys, trunk: 'carrier', ...options });
}

async function subscribe(): Promise<CircuitSubscriber> {
  const subscriber = await CircuitSubscriber.open(env.connect(), env.keys);
  subscribers.push(subscriber);
  return subscriber;
}

describe('TrunkCircuit', () => {
  it('opens after 5 carrier errors in a row across two instances, not before', async () => {
    const clock = manualClock();
    const a = circuit({ now: clock.now });
    const b = circuit({ now: clock.now });
    for (let i = 0; i < 4; i++) await (i % 2 === 0 ? a : b).recordCarrierError('503 Service Unavailable');
    expect(await a.state()).toEqual({ state: 'closed', failures: 4 });
    expect(await b.canDial()).toEqual({ ok: true, probe: false });
    await b.recordCarrierError('503 Service Unavailable');
    const state = await a.state();
    expect(state).toMatchObject({ state: 'open', kind: 'carrier', until: clock.now() + 30_000 });
    expect(state.state === 'open' && state.reason).toMatch(
      /503 Service Unavailable.*5 carrier errors in a row/,
    );
    expect(await a.canDial()).toMatchObject({ ok: false, retryAt: clock.now() + 30_000, retryInMs: 30_000 });
  });

  it('a carrier fault (its certificate refused) opens at once, is not counted twice while open, and a failed probe reopens', async () => {
    const clock = manualClock();
    const a = circuit({ now: clock.now });
    const events: CircuitControlMessage[] = [];
    a.on('change', (m) => events.push(m));
    await a.recordCarrierFault('TLS certificate rejected [CERT_HAS_EXPIRED]');
    expect(await a.state()).toMatchObject({
      state: 'open',
      kind: 'carrier',
      reason: 'TLS certificate rejected [CERT_HAS_EXPIRED]',
      until: clock.now() + 30_000,
    });
    // Calls under way when it opened report the same: no new opening, no new announcement.
    clock.advance(1_000);
    await a.recordCarrierFault('TLS certificate rejected [CERT_HAS_EXPIRED]');
    expect(await a.state()).toMatchObject({ state: 'open', until: clock.now() + 29_000 });
    expect(events.map((e) => e.state)).toEqual(['open']);
    clock.advance(29_000);
    expect(await a.tryProbe()).toBe(true);
    await a.recordCarrierFault('TLS certificate rejected [CERT_HAS_EXPIRED]');
    expect(await a.state()).toMatchObject({ state: 'open', kind: 'carrier', until: clock.now() + 30_000 });
  });

  it('a success breaks the run of errors', async () => {
    const a = circuit();
    const b = circuit();
    for (let i = 0; i < 4; i++) await a.recordCarrierError('timeout');
    await b.recordSuccess();
    for (let i = 0; i < 4; i++) await a.recordCarrierError('timeout');
    expect(await b.state()).toEqual({ state: 'closed', failures: 4 });
  });

  it('half-open lets exactly one probe through among many concurrent callers', async () => {
    const clock = manualClock();
    const instances = [circuit({ now: clock.now }), circuit({ now: clock.now }), circuit({ now: clock.now })];
    for (let i = 0; i < 5; i++) await instances[0]!.recordCarrierError('500');
    clock.advance(30_000);
    expect(await instances[1]!.state()).toMatchObject({
      state: 'half-open',
      kind: 'carrier',
      probeUntil: null,
    });
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        i % 3 === 0 ? instances[i % 3]!.tryProbe() : instances[i % 3]!.canDial(),
      ),
    );
    const probes = answers.filter((a) => a === true || (typeof a === 'object' && a.ok && a.probe));
    expect(probes).toHaveLength(1);
    expect(answers.filter((a) => typeof a === 'object' && a.ok)).toHaveLength(probes[0] === true ? 0 : 1);
    const refused = answers.find((a) => typeof a === 'object' && !a.ok);
    expect(refused).toMatchObject({
      ok: false,
      retryAt: clock.now() + 60_000,
      retryInMs: 60_000,
      reason: expect.stringMatching(/probe in flight/),
    });
    // Still only one until the probe reports...
    expect(await instances[2]!.tryProbe()).toBe(false);
    await instances[1]!.recordSuccess();
    expect(await instances[2]!.state()).toEqual({ state: 'closed', failures: 0 });
    expect(await instances[0]!.canDial()).toEqual({ ok: true, probe: false });
  });

  it('a failed probe reopens; an unreported probe frees the slot after its lease', async () => {
    const clock = manualClock();
    const a = circuit({ now: clock.now, failureThreshold: 1, openMs: 1_000, probeLeaseMs: 5_000 });
    const b = circuit({ now: clock.now, failureThreshold: 1, openMs: 1_000, probeLeaseMs: 5_000 });
    await a.recordCarrierError('502');
    clock.advance(1_000);
    expect(await a.tryProbe()).toBe(true);
    await a.recordCarrierError('504 Gateway Timeout');
    expect(await b.state()).toMatchObject({ state: 'open', reason: 'probe failed: 504 Gateway Timeout' });
    expect(await b.tryProbe()).toBe(false);
    clock.advance(1_000);
    expect(await b.tryProbe()).toBe(true); // its worker dies without reporting
    clock.advance(4_999);
    expect(await a.tryProbe()).toBe(false);
    clock.advance(1);
    expect(await a.tryProbe()).toBe(true);
  });

  it('carrier errors and successes reported while open (calls started before) change nothing', async () => {
    const clock = manualClock();
    const a = circuit({ now: clock.now });
    for (let i = 0; i < 5; i++) await a.recordCarrierError('503');
    const opened = await a.state();
    clock.advance(10_000);
    await a.recordCarrierError('503');
    await a.recordSuccess();
    expect(await a.state()).toEqual(opened);
  });

  it('an auth failure opens at once for 10 minutes with kind auth, and says why in a log line', async () => {
    const clock = manualClock();
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        lines.push(chunk.toString('utf8'));
        callback();
      },
    });
    const a = circuit({ now: clock.now, logger: createLogger({ destination, level: 'info' }) });
    const b = circuit({ now: clock.now });
    const events: CircuitControlMessage[] = [];
    a.on('change', (m) => events.push(m));
    await a.recordAuthFailure('401 Unauthorized after a fresh challenge (realm carrier.test)');
    const until = clock.now() + 600_000;
    expect(await b.state()).toEqual({
      state: 'open',
      kind: 'auth',
      reason: '401 Unauthorized after a fresh challenge (realm carrier.test)',
      until,
    });
    expect(await b.canDial()).toEqual({
      ok: false,
      retryAt: until,
      retryInMs: 600_000,
      reason: '401 Unauthorized after a fresh challenge (realm carrier.test)',
    });
    expect(events).toEqual([
      {
        type: 'circuit',
        trunk: 'carrier',
        state: 'open',
        kind: 'auth',
        reason: '401 Unauthorized after a fresh challenge (realm carrier.test)',
        until,
      },
    ]);
    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged).toEqual([
      expect.objectContaining({
        level: 50,
        trunk: 'carrier',
        msg: expect.stringMatching(/credentials rejected/),
      }),
    ]);
    // Calls started before it opened report the same failure: no second announcement.
    await b.recordAuthFailure('401 Unauthorized');
    expect(await a.state()).toMatchObject({ until });
    clock.advance(600_000);
    expect(await b.canDial()).toEqual({ ok: true, probe: true });
  });

  it('403s after credentials: strikes count different numbers in a row, open with kind auth, a worker start probes at once', async () => {
    const clock = manualClock();
    const a = circuit({ now: clock.now, authStrikes: 3 });
    const b = circuit({ now: clock.now });
    expect(await a.recordAuthStrike('403 Forbidden', '+5534984149000')).toEqual({
      state: 'closed',
      strikes: 1,
    });
    // The same number again is not more evidence against the trunk.
    expect(await b.recordAuthStrike('403 Forbidden', '+5534984149000')).toEqual({
      state: 'closed',
      strikes: 1,
    });
    expect(await b.recordAuthStrike('403 Forbidden', '+5534984149001')).toEqual({
      state: 'closed',
      strikes: 2,
    });
    expect(await b.canDial()).toEqual({ ok: true, probe: false });
    expect(await a.recordAuthStrike('403 Not Registered', '+5534984149002')).toEqual({
      state: 'open',
      strikes: 3,
    });
    expect(await b.state()).toEqual({
      state: 'open',
      kind: 'auth',
      reason: '403 Not Registered (after our credentials, on 3 different numbers in a row)',
      until: clock.now() + 600_000,
    });
    expect(await b.probeAuthNow('worker started')).toBe('half-open');
    expect(await a.canDial()).toEqual({ ok: true, probe: true });
    // The probe got the same 403: open again at once.
    expect(await a.recordAuthStrike('403 Forbidden', '+5534984149003')).toMatchObject({ state: 'open' });
    expect(await b.state()).toMatchObject({
      state: 'open',
      kind: 'auth',
      reason: 'probe failed: 403 Forbidden',
    });
    await b.probeAuthNow('worker started');
    expect(await a.canDial()).toEqual({ ok: true, probe: true });
    await a.recordSuccess();
    expect(await b.state()).toEqual({ state: 'closed', failures: 0 });
  });

  it('a normal call between two 403s breaks the run of strikes; a carrier circuit is not probed at start', async () => {
    const clock = manualClock();
    const a = circuit({ now: clock.now, authStrikes: 2, failureThreshold: 1 });
    await a.recordAuthStrike('403 Forbidden', '+5534984149000');
    await a.recordSuccess();
    expect(await a.recordAuthStrike('403 Forbidden', '+5534984149001')).toEqual({
      state: 'closed',
      strikes: 1,
    });
    await a.recordCarrierError('503 Service Unavailable');
    expect(await a.probeAuthNow('worker started')).toBe('open');
    expect(await a.state()).toMatchObject({ state: 'open', kind: 'carrier' });
  });

  it('reset closes the circuit (operator action)', async () => {
    const a = circuit();
    const b = circuit();
    await a.recordAuthFailure('403 after credentials');
    expect((await b.canDial()).ok).toBe(false);
    await b.reset();
    expect(await a.state()).toEqual({ state: 'closed', failures: 0 });
    expect(await a.canDial()).toEqual({ ok: true, probe: false });
  });

  it('announces every state change on the control channel', async () => {
    const clock = manualClock();
    const subscriber = await subscribe();
    const seen: CircuitControlMessage[] = [];
    subscriber.on('change', (m) => seen.push(m));
    const a = circuit({ now: clock.now });
    const b = circuit({ now: clock.now, trunk: 'other' });

    const opened = subscriber.nextChange('carrier');
    for (let i = 0; i < 5; i++) await a.recordCarrierError('503');
    expect(await opened).toEqual({
      type: 'circuit',
      trunk: 'carrier',
      state: 'open',
      kind: 'carrier',
      reason: '503 (5 carrier errors in a row)',
      until: clock.now() + 30_000,
    });

    clock.advance(30_000);
    const halfOpen = subscriber.nextChange('carrier');
    expect(await a.tryProbe()).toBe(true);
    expect(await halfOpen).toMatchObject({ state: 'half-open', trunk: 'carrier' });

    const closed = subscriber.nextChange('carrier');
    await a.recordSuccess();
    expect(await closed).toMatchObject({ state: 'closed', reason: 'probe succeeded' });

    const otherOpened = subscriber.nextChange('other');
    await b.recordAuthFailure('407 after fresh challenge');
    expect(await otherOpened).toMatchObject({ trunk: 'other', state: 'open', kind: 'auth' });

    const reset = subscriber.nextChange();
    await b.reset();
    expect(await reset).toEqual({
      type: 'circuit',
      trunk: 'other',
      state: 'closed',
      reason: 'reset by operator',
    });
    expect(seen.map((m) => `${m.trunk}:${m.state}`)).toEqual([
      'carrier:open',
      'carrier:half-open',
      'carrier:closed',
      'other:open',
      'other:closed',
    ]);
  });

  it('the subscriber ignores other control messages and rejects waiters on close', async () => {
    const subscriber = await subscribe();
    const publisher = env.connect();
    const next = subscriber.nextChange();
    await publisher.publish(
      env.keys.control,
      JSON.stringify({ type: 'campaign', name: 'x', state: 'paused' }),
    );
    await publisher.publish(env.keys.control, 'not json');
    await publisher.publish(
      env.keys.control,
      JSON.stringify({ type: 'circuit', trunk: 't', state: 'closed', reason: 'reset by operator' }),
    );
    expect(await next).toMatchObject({ trunk: 't' });
    const pending = expect(subscriber.nextChange()).rejects.toBeInstanceOf(TrunkClosedError);
    await subscriber.close();
    await subscriber.close();
    await pending;
    await expect(subscriber.nextChange()).rejects.toBeInstanceOf(TrunkClosedError);
  });

  it('close() is idempotent and later calls reject', async () => {
    const a = circuit();
    a.close();
    a.close();
    await expect(a.canDial()).rejects.toBeInstanceOf(TrunkClosedError);
  });

  it('recovers when Redis has forgotten its scripts (restart, SCRIPT FLUSH)', async () => {
    const a = circuit();
    await a.recordCarrierError('503');
    await env.connect().script('FLUSH');
    await a.recordCarrierError('503');
    expect(await a.state()).toEqual({ state: 'closed', failures: 2 });
  });
});
