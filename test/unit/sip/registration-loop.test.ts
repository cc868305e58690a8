import { describe, expect, it } from 'vitest';

import { silentLogger } from '../../../src/log/create-logger.js';
import type { RegistrationStatus } from '../../../src/sip/engine.js';
import { registrationRefreshMs } from '../../../src/sip/registration-refresh.js';
import {
  REGISTRATION_DEFAULTS,
  RegistrationLoop,
  type RegisterAnswer,
  type RegisterAttempt,
  type SendRegister,
} from '../../../src/sip/registration-loop.js';
import { SipFailure } from '../../../src/sip/sip-failure.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { waitFor } from '../../helpers/wait-for.js';

/**
 * The loop's only seam is `send`: each engine's real one is exercised against sipp registrars in
 * the conformance suite (refresh, 423, unregister). Here a scripted registrar answers by hand and
 * a fake clock moves time, so the schedule is checked exactly without waiting for it.
 */
interface PendingRegister {
  readonly attempt: RegisterAttempt;
  readonly answer: (answer: RegisterAnswer) => void;
  readonly fail: (error: unknown) => void;
}

class ScriptedRegistrar {
  readonly requests: PendingRegister[] = [];
  readonly send: SendRegister = (attempt) =>
    new Promise((answer, fail) => this.requests.push({ attempt, answer, fail }));

  /** The `n`th REGISTER (from 0), once it has been sent. */
  async nth(n: number): Promise<PendingRegister> {
    return waitFor(() => this.requests[n], { what: `REGISTER #${n + 1}` });
  }
}

const ok = (grantedExpiresSec?: number): RegisterAnswer => ({
  ok: true,
  ...(grantedExpiresSec !== undefined ? { grantedExpiresSec } : {}),
});

const refused = (
  status: number,
  more: { retryAfterMs?: number; minExpiresSec?: number } = {},
): RegisterAnswer => ({
  ok: false,
  failure: new SipFailure({
    status,
    reason: `refused ${status}`,
    phase: 'setup',
    ...(more.retryAfterMs !== undefined ? { retryAfterMs: more.retryAfterMs } : {}),
  }),
  ...(more.minExpiresSec !== undefined ? { minExpiresSec: more.minExpiresSec } : {}),
});

function setup(registerExpiresSec = 3600) {
  const clock = new FakeClock();
  const registrar = new ScriptedRegistrar();
  let closed = 0;
  const loop = new RegistrationLoop({
    trunk: { name: 'carrier', domain: 'carrier.test', username: 'dialer1', registerExpiresSec },
    send: registrar.send,
    logger: silentLogger(),
    clock,
    retryBaseMs: 1000,
    retryMaxMs: 60_000,
    onClosed: () => void closed++,
  });
  const states: RegistrationStatus[] = [];
  loop.on('state', (status) => states.push(status));
  return { clock, registrar, loop, states, closedCount: () => closed };
}

describe('RegistrationLoop', () => {
  it('refreshes on the expiry the registrar granted, asking again for the configured one', async () => {
    const { clock, registrar, loop, states } = setup(3600);
    const started = loop.start();
    (await registrar.nth(0)).answer(ok(60));
    await started;

    expect(registrar.requests[0]?.attempt.expiresSec).toBe(3600);
    expect(loop.status).toMatchObject({ state: 'registered', grantedExpiresSec: 60 });
    expect(clock.nextDueAt).toBe(registrationRefreshMs(60));

    clock.advance(registrationRefreshMs(60));
    const refresh = await registrar.nth(1);
    expect(refresh.attempt.expiresSec).toBe(3600);
    refresh.answer(ok(120));
    await waitFor(() => loop.status.grantedExpiresSec === 120, { what: 'the refreshed binding' });
    expect(clock.nextDueAt).toBe(registrationRefreshMs(60) + registrationRefreshMs(120));
    expect(states.map((s) => s.state)).toEqual(['registered', 'registering', 'registered']);
  });

  it('keeps the asked expiry when the answer grants none', async () => {
    const { registrar, loop } = setup(900);
    const started = loop.start();
    (await registrar.nth(0)).answer(ok());
    await started;
    expect(loop.status.grantedExpiresSec).toBe(900);
  });

  it('answers 423 with the Min-Expires asked for, and keeps asking for it', async () => {
    const { clock, registrar, loop } = setup(60);
    const started = loop.start();
    (await registrar.nth(0)).answer(refused(423, { minExpiresSec: 3600 }));
    const second = await registrar.nth(1);
    expect(second.attempt.expiresSec).toBe(3600);
    second.answer(ok());
    await started;
    expect(loop.status).toMatchObject({ state: 'registered', grantedExpiresSec: 3600 });

    clock.advance(registrationRefreshMs(3600));
    expect((await registrar.nth(2)).attempt.expiresSec).toBe(3600);
  });

  it('gives up on 423 after two longer asks, and on a Min-Expires that is not longer', async () => {
    const a = setup(60);
    const first = a.loop.start();
    (await a.registrar.nth(0)).answer(refused(423, { minExpiresSec: 120 }));
    (await a.registrar.nth(1)).answer(refused(423, { minExpiresSec: 240 }));
    (await a.registrar.nth(2)).answer(refused(423, { minExpiresSec: 480 }));
    await expect(first).rejects.toMatchObject({ status: 423 });
    expect(a.registrar.requests.map((r) => r.attempt.expiresSec)).toEqual([60, 120, 240]);

    const b = setup(600);
    const second = b.loop.start();
    (await b.registrar.nth(0)).answer(refused(423, { minExpiresSec: 300 }));
    await expect(second).rejects.toMatchObject({ status: 423 });
    expect(b.registrar.requests).toHaveLength(1);
  });

  it('leaves a failed first attempt to the caller: it rejects and schedules nothing', async () => {
    const { clock, registrar, loop } = setup();
    const started = loop.start();
    (await registrar.nth(0)).answer(refused(403));
    await expect(started).rejects.toBeInstanceOf(SipFailure);
    expect(loop.status).toMatchObject({ state: 'failed', lastFailure: { status: 403 } });
    expect(clock.pending).toBe(0);
  });

  it('retries a failed refresh with back-off, never before Retry-After, keeping the last grant', async () => {
    const { clock, registrar, loop } = setup();
    const started = loop.start();
    (await registrar.nth(0)).answer(ok(60));
    await started;
    const refreshAt = registrationRefreshMs(60);
    clock.advance(refreshAt);
    (await registrar.nth(1)).answer(refused(503, { retryAfterMs: 120_000 }));
    await waitFor(() => loop.status.state === 'failed', { what: 'the failed refresh' });
    expect(loop.status).toMatchObject({ grantedExpiresSec: 60, lastFailure: { status: 503 } });
    expect(clock.nextDueAt).toBe(refreshAt + 120_000);

    clock.advance(120_000);
    (await registrar.nth(2)).answer(refused(500));
    await waitFor(() => loop.status.lastFailure?.status === 500, { what: 'the second failure' });
    // Second failure in a row: twice the 1 s base, ±20 % jitter.
    const backOff = (clock.nextDueAt ?? 0) - clock.now();
    expect(backOff).toBeGreaterThanOrEqual(1600);
    expect(backOff).toBeLessThanOrEqual(2400);

    clock.advance(backOff);
    (await registrar.nth(3)).answer(ok(60));
    await waitFor(() => loop.status.state === 'registered', { what: 'the binding back' });
    expect(clock.nextDueAt).toBe(clock.now() + refreshAt);
  });

  it('turns a send that rejected into a local transport failure', async () => {
    const { registrar, loop } = setup();
    const started = loop.start();
    (await registrar.nth(0)).fail(new Error('socket closed'));
    await expect(started).rejects.toMatchObject({ status: 503, phase: 'transport', local: true });
  });

  it('unregisters with Expires: 0 once, however often it is closed', async () => {
    const { clock, registrar, loop, states, closedCount } = setup();
    const started = loop.start();
    (await registrar.nth(0)).answer(ok(60));
    await started;

    const closing = Promise.all([loop.unregister(), loop.close()]);
    const unregister = await registrar.nth(1);
    expect(unregister.attempt.expiresSec).toBe(0);
    unregister.answer(ok());
    await closing;
    await loop.unregister();

    expect(registrar.requests).toHaveLength(2);
    expect(states.at(-1)?.state).toBe('unregistered');
    expect(closedCount()).toBe(1);
    expect(clock.pending).toBe(0);
  });

  it('sends no unregister for a binding it does not hold', async () => {
    const { registrar, loop } = setup();
    const started = loop.start();
    (await registrar.nth(0)).answer(refused(403));
    await expect(started).rejects.toBeInstanceOf(SipFailure);
    await loop.unregister();
    expect(registrar.requests).toHaveLength(1);
    expect(loop.status.state).toBe('unregistered');
  });

  it('waits for a refresh in flight, then unregisters', async () => {
    const { clock, registrar, loop } = setup();
    const started = loop.start();
    (await registrar.nth(0)).answer(ok(60));
    await started;
    clock.advance(registrationRefreshMs(60));
    const refresh = await registrar.nth(1);
    const closing = loop.unregister();
    expect(registrar.requests).toHaveLength(2);
    refresh.answer(ok(60));
    expect((await registrar.nth(2)).attempt.expiresSec).toBe(0);
    registrar.requests[2]?.answer(ok());
    await closing;
    expect(clock.pending).toBe(0);
  });

  it('stops waiting for an unregister answer after its bound, and tells the engine so', async () => {
    const { clock, registrar, loop, closedCount } = setup();
    const started = loop.start();
    (await registrar.nth(0)).answer(ok(60));
    await started;

    let done = false;
    const closing = loop.unregister().then(() => (done = true));
    const unregister = await registrar.nth(1);
    expect(unregister.attempt.signal?.aborted).toBe(false);
    clock.advance(REGISTRATION_DEFAULTS.unregisterWaitMs - 1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(done).toBe(false);

    clock.advance(1);
    await closing;
    expect(unregister.attempt.signal?.aborted).toBe(true);
    expect(loop.status.state).toBe('unregistered');
    expect(closedCount()).toBe(1);
  });
});
