import { afterEach, describe, expect, inject, it } from 'vitest';
import { DialerClient } from '../../../src/jobs/dialer-client.js';
import { silentLogger } from '../../../src/log/create-logger.js';
import { DialerWorker } from '../../../src/workers/dialer-worker.js';
import { startSipp, type SippPeer } from '../../helpers/sipp.js';
import { waitFor } from '../../helpers/wait-for.js';
import { workerConfig } from '../../helpers/worker-config.js';

const redisUrl = inject('redisUrl');

describe('enqueue → worker → call → classified outcome', () => {
  let worker: DialerWorker | undefined;
  let client: DialerClient | undefined;

  afterEach(async () => {
    await worker?.close(500);
    await client?.close();
    worker = undefined;
    client = undefined;
  });

  async function setUp(peer: SippPeer, trunkExtra = '', cps?: number): Promise<DialerClient> {
    const { config } = await workerConfig({ redisUrl, carrier: peer.uri, trunkExtra, ...(cps && { cps }) });
    worker = await DialerWorker.start({ config, logger: silentLogger() });
    client = new DialerClient({ redis: redisUrl, prefix: config.queuePrefix });
    return client;
  }

  it('the reference case: 404 on +55…, the digits form at once, answered; the trunk remembers', async () => {
    const peer = await startSipp({ scenario: 'uas-404-plus-numbers.xml', calls: 3 });
    const producer = await setUp(peer);
    const events: string[] = [];
    worker!.on('call', (e) => events.push(e.type === 'ringing' ? `ringing ${e.status}` : e.type));
    const call = await producer.enqueueCall({ number: '+55 34 98414-9880', script: { hangupAfterMs: 100 } });
    expect(call.number).toBe('+5534984149880');
    const outcome = await producer.waitForOutcome(call.jobId, { timeoutMs: 15_000 });
    // The worker emits `completed` after the outcome is written, so it may come a moment later.
    await waitFor(() => events.includes('completed'), { what: 'the completed event' });
    expect(events).toEqual([
      'initiated',
      'attempt-ended',
      'initiated',
      'ringing 180',
      'answered',
      'attempt-ended',
      'completed',
    ]);
    expect(outcome.status).toBe('answered');
    expect(outcome.attempts.map((a) => [a.uri, a.sipCode])).toEqual([
      ['sip:+5534984149880@carrier.test', 404],
      ['sip:5534984149880@carrier.test', 200],
    ]);
    expect(outcome.attempts.every((a) => a.attempt === 1)).toBe(true);

    const again = await producer.enqueueCall({ number: '(34) 99999-0001', script: { hangupAfterMs: 100 } });
    const second = await producer.waitForOutcome(again.jobId, { timeoutMs: 15_000 });
    expect(second.status).toBe('answered');
    expect(second.attempts.map((a) => a.uri)).toEqual(['sip:5534999990001@carrier.test']);
    expect(await peer.waitForExit()).toBe(0);
  });

  it('the next dial format after a 404 waits its turn in the trunk pace, as every INVITE does', async () => {
    const peer = await startSipp({ scenario: 'uas-404-plus-numbers.xml', calls: 2 });
    // 2 calls/s, evenly spaced (burst 1): any two INVITEs at least 500 ms apart at the carrier.
    const producer = await setUp(peer, '', 2);
    const call = await producer.enqueueCall({ number: '+5534984149880', script: { hangupAfterMs: 100 } });
    const outcome = await producer.waitForOutcome(call.jobId, { timeoutMs: 15_000 });
    expect(outcome.attempts.map((a) => a.sipCode)).toEqual([404, 200]);
    const [first, second] = outcome.attempts;
    // A lower bound only: a loaded machine can make the gap longer, never shorter. The slot is
    // booked on Redis's clock and the times are the worker's, so a few ms are allowed for that.
    expect((second?.startedAt ?? 0) - (first?.startedAt ?? 0)).toBeGreaterThanOrEqual(480);
  });

  it('a busy callee is retried after the busy delay, then ends busy at max attempts', async () => {
    const peer = await startSipp({ scenario: 'uas-reject-486.xml', calls: 2 });
    const producer = await setUp(peer);
    const call = await producer.enqueueCall({ number: '+5534984149880', maxAttempts: 2 });
    const outcome = await producer.waitForOutcome(call.jobId, { timeoutMs: 15_000 });
    expect(outcome.status).toBe('busy');
    expect(outcome.attempts.map((a) => [a.attempt, a.sipCode])).toEqual([
      [1, 486],
      [2, 486],
    ]);
  });

  it('a number that is refused everywhere ends invalid-number without retry', async () => {
    const peer = await startSipp({ scenario: 'uas-reject-404.xml', calls: 2 });
    const producer = await setUp(peer);
    const call = await producer.enqueueCall({ number: '+5534984149880' });
    const outcome = await producer.waitForOutcome(call.jobId, { timeoutMs: 15_000 });
    expect(outcome.status).toBe('invalid-number');
    expect(outcome.attempts).toHaveLength(2);
  });

  it('enqueueing the same idempotency key twice dials once', async () => {
    const peer = await startSipp({ scenario: 'uas-answer.xml', calls: 1 });
    const producer = await setUp(peer);
    const first = await producer.enqueueCall({
      number: '5534984149880',
      defaultCountry: 'BR',
      idempotencyKey: 'order-42',
      script: { hangupAfterMs: 50 },
    });
    const second = await producer.enqueueCall({
      number: '+5534984149880',
      idempotencyKey: 'order-42',
      script: { hangupAfterMs: 50 },
    });
    expect(second.jobId).toBe(first.jobId);
    expect(second.duplicate).toBe(true);
    const outcome = await producer.waitForOutcome(first.jobId, { timeoutMs: 15_000 });
    expect(outcome.status).toBe('answered');
    expect(await peer.waitForExit()).toBe(0);
  });

  it('refuses bad input at enqueue, naming the field', async () => {
    const peer = await startSipp({ scenario: 'uas-answer.xml' });
    const producer = await setUp(peer);
    await expect(producer.enqueueCall({ number: '1234@evil.example;transport=tcp' })).rejects.toMatchObject({
      code: 'NUMBER_INVALID',
      field: 'number',
    });
    await expect(producer.enqueueCall({ number: '+5534984149880', trunk: 'nope' })).rejects.toMatchObject({
      code: 'JOB_INVALID',
      field: 'trunk',
    });
    await expect(
      producer.enqueueCall({ number: '+5534984149880', callerId: '+55\r\nX: y' }),
    ).rejects.toMatchObject({ code: 'JOB_INVALID', field: 'callerId' });
    await expect(
      producer.enqueueCall({ number: '+5534984149880', headers: { 'X-A': 'a\nb' } }),
    ).rejects.toMatchObject({ field: 'headers.X-A' });
    await peer.stop();
  });
});
