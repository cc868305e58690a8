import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallOutcome } from '../../../src/jobs/call-outcome.js';
import { OutcomeStore } from '../../../src/jobs/outcome-store.js';
import { waitFor } from '../../helpers/wait-for.js';
import { apiFixture, type ApiFixture } from './api-fixture.js';

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

describe('POST /v1/calls, GET /v1/calls/:id', () => {
  let f: ApiFixture;
  let outcomes: OutcomeStore;
  beforeAll(async () => {
    f = await apiFixture();
    outcomes = new OutcomeStore({ redis: f.redis.connect(), keys: f.redis.keys });
  });
  afterAll(async () => {
    await f.close();
  });

  it('enqueues a call: 202 with the job id and a Location; the job waits in the trunk queue', async () => {
    const response = await f.request({
      method: 'POST',
      url: '/v1/calls',
      payload: { number: '(34) 98414-9880', metadata: { crm: 42 } },
    });
    expect(response.statusCode).toBe(202);
    const call = response.json<{ jobId: string; number: string; trunk: string; duplicate: boolean }>();
    expect(call).toMatchObject({ number: '+5534984149880', trunk: 'carrier', duplicate: false });
    expect(response.headers.location).toBe(`/v1/calls/${encodeURIComponent(call.jobId)}`);

    const state = await f.request({ method: 'GET', url: response.headers.location as string });
    expect(state.statusCode).toBe(200);
    expect(state.json()).toMatchObject({
      jobId: call.jobId,
      state: 'waiting',
      number: '+5534984149880',
      trunk: 'carrier',
      attempts: [],
    });
    const job = await f.server.client.queue('carrier').getJob(call.jobId);
    expect(job?.data).toMatchObject({ number: '+5534984149880', metadata: { crm: 42 } });
  });

  it('takes the Idempotency-Key header: the same key is the same job', async () => {
    const send = () =>
      f.request({
        method: 'POST',
        url: '/v1/calls',
        headers: { 'idempotency-key': 'order-77' },
        payload: { number: '+447400123456' },
      });
    const first = (await send()).json<{ jobId: string; duplicate: boolean }>();
    const second = (await send()).json<{ jobId: string; duplicate: boolean }>();
    expect(first).toMatchObject({ jobId: 'k~order-77', duplicate: false });
    expect(second).toMatchObject({ jobId: 'k~order-77', duplicate: true });
  });

  it.each([
    [{ number: '12' }, 'number', 'TOO_SHORT', 'NUMBER_INVALID'],
    [{ number: '+5534984149880', trunk: 'nope' }, 'trunk', 'unknown trunk', 'JOB_INVALID'],
    [{ number: '+5534984149880', callerId: 'a\r\nVia: x' }, 'callerId', 'CR, LF', 'JOB_INVALID'],
    [{ number: '+5534984149880', headers: { Via: 'x' } }, 'headers.Via', 'set by the dialer', 'JOB_INVALID'],
    [{ number: '+5534984149880', maxAttempts: 99 }, 'maxAttempts', '', 'JOB_INVALID'],
    [
      { number: '+5534984149880', amd: { greetingMs: -1 } },
      'amd.greetingMs',
      'integer from 0',
      'JOB_INVALID',
    ],
    [{ numbr: '+5534984149880' }, 'number', 'required', 'VALIDATION_FAILED'],
    [{ number: '+5534984149880', colour: 'red' }, 'colour', 'unknown field', 'VALIDATION_FAILED'],
    [{ number: '+5534984149880', ringTimeoutMs: 'soon' }, 'ringTimeoutMs', 'integer', 'VALIDATION_FAILED'],
  ])('400 naming the field for %j', async (payload, field, reason, code) => {
    const response = await f.request({ method: 'POST', url: '/v1/calls', payload });
    expect(response.statusCode).toBe(400);
    const body = response.json<{ error: string; field: string; reason: string; message: string }>();
    expect(body.error).toBe(code);
    expect(body.field).toBe(field);
    expect(body.reason).toContain(reason);
  });

  it('400 for a body that is not JSON, 415 for a type it does not take', async () => {
    const broken = await f.request({
      method: 'POST',
      url: '/v1/calls',
      headers: { 'content-type': 'application/json' },
      payload: '{"number": ',
    });
    expect(broken.statusCode).toBe(400);
    const xml = await f.request({
      method: 'POST',
      url: '/v1/calls',
      headers: { 'content-type': 'application/xml' },
      payload: '<call/>',
    });
    expect(xml.statusCode).toBe(415);
  });

  it('shows the final outcome once written, and 404 for an unknown id', async () => {
    const created = (
      await f.request({ method: 'POST', url: '/v1/calls', payload: { number: '+5534984140001' } })
    ).json<{ jobId: string }>();
    await outcomes.writeOnce(outcomeFor(created.jobId, '+5534984140001', Date.now()));
    const done = await f.request({ method: 'GET', url: `/v1/calls/${created.jobId}` });
    expect(done.json()).toMatchObject({
      jobId: created.jobId,
      state: 'completed',
      outcome: { status: 'busy', attempts: [{ sipCode: 486 }] },
    });
    const missing = await f.request({ method: 'GET', url: '/v1/calls/u~no-such-job' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: 'CALL_NOT_FOUND' });
  });

  it('?wait= holds the request until the outcome arrives; refuses a wait over 60s', async () => {
    const created = (
      await f.request({ method: 'POST', url: '/v1/calls', payload: { number: '+5534984140002' } })
    ).json<{ jobId: string }>();
    let answered = false;
    const pending = f
      .request({ method: 'GET', url: `/v1/calls/${created.jobId}?wait=20s` })
      .finally(() => (answered = true));
    // The request is held: it waits for the outcome, and has not been answered without one.
    await waitFor(() => f.server.waiters.size === 1, { what: 'the request waiting for its outcome' });
    expect(answered).toBe(false);
    await outcomes.writeOnce(outcomeFor(created.jobId, '+5534984140002', Date.now()));
    const response = await pending;
    expect(response.json()).toMatchObject({ state: 'completed', outcome: { status: 'busy' } });

    const tooLong = await f.request({ method: 'GET', url: `/v1/calls/${created.jobId}?wait=5m` });
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.json()).toMatchObject({ field: 'wait' });
  });
});
