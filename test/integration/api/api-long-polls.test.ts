import { afterEach, describe, expect, it } from 'vitest';
import type { CallOutcome } from '../../../src/jobs/call-outcome.js';
import { OutcomeStore } from '../../../src/jobs/outcome-store.js';
import { apiFixture, type ApiFixture } from './api-fixture.js';
import { waitFor } from '../../helpers/wait-for.js';

let f: ApiFixture | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

async function clientCount(fixture: ApiFixture): Promise<number> {
  const list = (await fixture.redis.connect().client('LIST')) as string;
  return list.split('\n').filter(Boolean).length;
}

function outcomeFor(jobId: string, to: string, completedAt: number): CallOutcome {
  return {
    jobId,
    to,
    trunk: 'carrier',
    status: 'busy',
    reason: '486 Busy Here',
    enqueuedAt: completedAt - 5000,
    completedAt,
    attempts: [
      {
        attempt: 1,
        id: 'a1',
        uri: `sip:${to}@carrier.test`,
        startedAt: completedAt - 3000,
        state: 'done',
        sipCode: 486,
        reason: 'Busy Here',
        postDialDelayMs: 900,
      },
    ],
  };
}

describe('long polls share one Redis reader', () => {
  it('50 concurrent polls hold a bounded number of Redis connections; an outcome reaches its poller', async () => {
    f = await apiFixture({ api: ['maxWaiters: 100'] });
    const fx = f;
    await fx.request({ method: 'GET', url: '/v1/campaigns' });
    const before = await clientCount(fx);
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) {
      const created = await fx.request({
        method: 'POST',
        url: '/v1/calls',
        payload: { number: `+55349841${String(40000 + i)}` },
      });
      ids.push(created.json<{ jobId: string }>().jobId);
    }
    const polls = ids.map((id) => fx.request({ method: 'GET', url: `/v1/calls/${id}?wait=30s` }));
    await waitFor(() => fx.server.waiters.size === 50, { what: 'fx.server.waiters.size === 50' });
    const during = await clientCount(fx);
    expect(during - before).toBeLessThanOrEqual(3);
    const outcomes = new OutcomeStore({ redis: fx.redis.connect(), keys: fx.redis.keys });
    await Promise.all(
      ids.map((id, i) => outcomes.writeOnce(outcomeFor(id, `+55349841${String(40000 + i)}`, Date.now()))),
    );
    const responses = await Promise.all(polls);
    for (const r of responses)
      expect(r.json()).toMatchObject({ state: 'completed', outcome: { status: 'busy' } });
  }, 120_000);

  it('answers 429 TOO_MANY_WAITERS with Retry-After past api.maxWaiters', async () => {
    f = await apiFixture({ api: ['maxWaiters: 5'] });
    const fx = f;
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const created = await fx.request({
        method: 'POST',
        url: '/v1/calls',
        payload: { number: `+55349841${String(41000 + i)}` },
      });
      ids.push(created.json<{ jobId: string }>().jobId);
    }
    const polls = ids.slice(0, 5).map((id) => fx.request({ method: 'GET', url: `/v1/calls/${id}?wait=30s` }));
    await waitFor(() => fx.server.waiters.size === 5, { what: 'fx.server.waiters.size === 5' });
    const sixth = await fx.request({ method: 'GET', url: `/v1/calls/${ids[5]}?wait=30s` });
    expect(sixth.statusCode).toBe(429);
    expect(sixth.json()).toMatchObject({ error: 'TOO_MANY_WAITERS' });
    expect(sixth.headers['retry-after']).toBe('1');
    const outcomes = new OutcomeStore({ redis: fx.redis.connect(), keys: fx.redis.keys });
    await Promise.all(
      ids.slice(0, 5).map((id) => outcomes.writeOnce(outcomeFor(id, '+5534984141000', Date.now()))),
    );
    await Promise.all(polls);
  }, 120_000);
});
