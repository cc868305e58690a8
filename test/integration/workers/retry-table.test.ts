import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { waitFor } from '../../helpers/wait-for.js';
import { DncList } from '../../../src/compliance/dnc-list.js';
import { CampaignStore } from '../../../src/jobs/campaign-store.js';
import { DialerClient } from '../../../src/jobs/dialer-client.js';
import { DialerKeys } from '../../../src/kernel/dialer-keys.js';
import { silentLogger } from '../../../src/log/create-logger.js';
import { CampaignStateCache } from '../../../src/workers/campaign-state-cache.js';
import { DialerWorker } from '../../../src/workers/dialer-worker.js';
import { TrunkCircuit } from '../../../src/workers/trunk-circuit.js';
import { TrunkDialGate } from '../../../src/workers/trunk-dial-gate.js';
import { TrunkLimiter } from '../../../src/workers/trunk-limiter.js';
import { startSipp } from '../../helpers/sipp.js';
import { workerConfig } from '../../helpers/worker-config.js';

const redisUrl = inject('redisUrl');

describe('the retry table, row by row, through a worker', () => {
  let worker: DialerWorker | undefined;
  let client: DialerClient | undefined;

  afterEach(async () => {
    await worker?.close(500);
    await client?.close();
    worker = undefined;
    client = undefined;
  });

  async function dial(
    scenario: string,
    calls: number,
    input: { maxAttempts?: number; ringTimeoutMs?: number } = {},
  ) {
    const peer = await startSipp({ scenario, calls, timeoutMs: 60_000 });
    const { config } = await workerConfig({ redisUrl, carrier: peer.uri });
    worker = await DialerWorker.start({ config, logger: silentLogger() });
    client = new DialerClient({ redis: redisUrl, prefix: config.queuePrefix });
    const call = await client.enqueueCall({ number: '+5534984149880', ...input });
    return { peer, call, client };
  }

  it.each([
    ['uas-reject-480.xml', 2, 'no-answer', [480, 480]],
    ['uas-reject-603.xml', 1, 'declined', [603]],
    ['uas-reject-486.xml', 2, 'busy', [486, 486]],
  ] as const)('%s (%i calls) ends %s with the codes %j', async (scenario, calls, status, codes) => {
    const { call, client: producer } = await dial(scenario, calls, { maxAttempts: 2 });
    const outcome = await producer.waitForOutcome(call.jobId, { timeoutMs: 20_000 });
    expect(outcome.status).toBe(status);
    expect(outcome.attempts.map((a) => a.sipCode)).toEqual(codes);
  });

  it('no answer within the ring timeout: CANCEL, 487, no-answer', async () => {
    const { call, client: producer } = await dial('uas-ring-no-answer.xml', 1, {
      maxAttempts: 1,
      ringTimeoutMs: 1000,
    });
    const outcome = await producer.waitForOutcome(call.jobId, { timeoutMs: 20_000 });
    expect(outcome.status).toBe('no-answer');
    expect(outcome.attempts[0]?.sipCode).toBe(487);
  });

  it('503 with Retry-After: the job waits at least that long, and the trunk pauses', async () => {
    const { call, client: producer } = await dial('uas-reject-503.xml', 1);
    const queue = producer.queue('carrier');
    await waitFor(async () => (await queue.getJob(call.jobId).then((j) => j?.getState())) === 'delayed', {
      what: 'the job delayed after the 503',
    });
    // When it runs again, on the queue's own schedule, against when the 503 came: both written by
    // the worker, so the test's clock and pace do not enter.
    const score = Number(await producer.redis.zscore(queue.keys.delayed ?? '', call.jobId));
    const runsAt = Math.floor(score / 0x1000);
    const attempts = (await producer.redis.hvals(producer.keys.attempts(call.jobId, '+5534984149880'))).map(
      (a) => JSON.parse(a) as { endedAt?: number; startedAt: number },
    );
    const rejectedAt = Math.max(...attempts.map((a) => a.endedAt ?? a.startedAt));
    expect(runsAt - rejectedAt).toBeGreaterThanOrEqual(25_000);
    expect(await producer.getOutcome(call.jobId)).toBeUndefined();
  });

  it('credentials refused after a fresh challenge: the trunk stops, the job is kept', async () => {
    const peer = await startSipp({ scenario: 'uas-wrong-password.xml', calls: 1, timeoutMs: 60_000 });
    const { config } = await workerConfig({ redisUrl, carrier: peer.uri, trunkExtra: '' });
    const wrong = { ...config, trunks: config.trunks.map((t) => ({ ...t, password: 'wrong' })) };
    worker = await DialerWorker.start({ config: wrong, logger: silentLogger() });
    client = new DialerClient({ redis: redisUrl, prefix: config.queuePrefix });
    const call = await client.enqueueCall({ number: '+5534984149880' });
    const circuit = new TrunkCircuit({ redis: client.redis, keys: client.keys, trunk: 'carrier' });
    await waitFor(async () => (await circuit.state()).state === 'open', { what: 'the auth circuit to open' });
    const state = await circuit.state();
    expect(state).toMatchObject({ state: 'open', kind: 'auth' });
    const job = await client.queue('carrier').getJob(call.jobId);
    expect(await job?.getState()).toBe('delayed');
    expect(await client.getOutcome(call.jobId)).toBeUndefined();
    circuit.close();
  });
});

describe('the dial gate with an injected clock', () => {
  it('delays a job taken outside calling hours to the next opening in the callee’s zone, and blocks DNC numbers', async () => {
    const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
    const keys = new DialerKeys(`{t-gate-${Math.random().toString(36).slice(2)}}`);
    try {
      const store = new CampaignStore({ redis, keys });
      await store.create('evening', {
        trunk: 'carrier',
        window: { start: '09:00', end: '20:00', days: [1, 2, 3, 4, 5] },
      });
      // Friday 2026-11-27 22:00 in São Paulo (UTC-3) = Saturday 01:00 UTC; next opening Monday 09:00 local = 12:00 UTC.
      const now = Date.UTC(2026, 10, 28, 1, 0);
      const limiter = new TrunkLimiter({ redis, keys, trunk: 'carrier', cps: 100, maxChannels: 10 });
      const circuit = new TrunkCircuit({ redis, keys, trunk: 'carrier' });
      const dnc = new DncList({ redis, keys });
      const gate = new TrunkDialGate({
        redis,
        keys,
        campaigns: new CampaignStateCache(store),
        dnc,
        limiter,
        circuit,
        logger: silentLogger(),
        now: () => now,
      });
      const job = {
        v: 1 as const,
        number: '+5534984149880',
        country: 'BR',
        trunk: 'carrier',
        campaign: 'evening',
        enqueuedAt: now,
      };
      const verdict = await gate.check(job, 'evening~+5534984149880');
      expect(verdict).toMatchObject({ kind: 'delay', until: Date.UTC(2026, 10, 30, 12, 0) });

      await dnc.add(['+5534984149880']);
      expect(await gate.check(job, 'evening~+5534984149880')).toMatchObject({
        kind: 'final',
        status: 'blocked',
      });
      limiter.close();
      circuit.close();
    } finally {
      await redis.quit();
    }
  });
});
