import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  StatusCallbacks,
  verifyCallbackSignature,
  type CallbackEvent,
  type CampaignCompletedEvent,
} from '../../../src/callbacks/index.js';
import { createCampaignAndImport } from '../../../src/jobs/create-campaign-and-import.js';
import { CampaignControl } from '../../../src/jobs/campaign-control.js';
import { OutcomeStore } from '../../../src/jobs/outcome-store.js';
import { campaignOutcome } from '../api/seed-outcomes.js';
import { CampaignStore } from '../../../src/jobs/campaign-store.js';
import { DialerClient } from '../../../src/jobs/dialer-client.js';
import { createLogger, silentLogger } from '../../../src/log/create-logger.js';
import { startWorkerProcess } from '../../../src/cli/start-worker-process.js';
import type { DialerWorker } from '../../../src/workers/dialer-worker.js';
import { startSipp } from '../../helpers/sipp.js';
import { workerConfig } from '../../helpers/worker-config.js';
import { waitFor } from '../../helpers/wait-for.js';

const redisUrl = inject('redisUrl');
const SECRET = 'callback-secret-for-tests-0123';
// The receivers listen on loopback, which deliveries refuse unless config allows it.
const LOCAL = 'allowPrivate: ["127.0.0.1/32"]';

interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly raw: string;
  readonly event: CallbackEvent;
  /** What the receiver answered; undefined while it holds the request. */
  status: number | undefined;
}

/** A real HTTP receiver on loopback; `answer` decides each request's status, or holds it ('hang'). */
async function startReceiver(answer: (index: number, event: CallbackEvent) => number | 'hang') {
  const received: Received[] = [];
  const held: ServerResponse[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const entry: Received = {
        path: req.url ?? '',
        headers: req.headers,
        raw,
        event: JSON.parse(raw) as CallbackEvent,
        status: undefined,
      };
      received.push(entry);
      const status = answer(received.length - 1, entry.event);
      if (status === 'hang') {
        held.push(res);
        return;
      }
      entry.status = status;
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (path = '/hook') => `http://127.0.0.1:${port}${path}`,
    received,
    held,
    accepted: () => received.filter((r) => r.status !== undefined && r.status < 300),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('campaign.completed callbacks', () => {
  it('one signed delivery per completion, with several processes draining and a failed delivery retried', async () => {
    const receiver = await startReceiver((index) => (index === 0 ? 503 : 204));
    const client = new DialerClient({ redis: redisUrl, prefix: `{t-cbdone-${randomUUID()}}` });
    const store = new CampaignStore({ redis: client.redis, keys: client.keys });
    const outcomes = new OutcomeStore({ redis: client.redis, keys: client.keys });
    // Two worker processes' callbacks; their sweeps never fire here: every drain is asked for.
    const processes = [0, 1].map(() =>
      StatusCallbacks.start({
        config: {
          secret: SECRET,
          timeoutMs: 5000,
          maxAttempts: 5,
          backoffMs: 100,
          concurrency: 4,
          perHostConcurrency: 4,
          allowPrivate: ['127.0.0.1/32'],
        },
        redis: client.redis,
        prefix: client.keys.prefix,
        queueKey: (trunk) => client.keys.queueKey(trunk),
        campaignUrl: () => Promise.resolve(undefined),
        completionsKey: client.keys.campaignCompletions,
        completionSweepMs: 3_600_000,
        logger: silentLogger(),
      }),
    );
    const [a, b] = processes as [StatusCallbacks, StatusCallbacks];
    try {
      const importNumbers = async (numbers: readonly string[]) =>
        createCampaignAndImport(
          { client, store },
          {
            name: 'autumn',
            settings: { trunk: 'carrier', callbackUrl: receiver.url('/done') },
            stream: Readable.from([`number\n${numbers.join('\n')}\n`]),
          },
        );
      const completions = () => receiver.accepted().map((r) => JSON.parse(r.raw) as CampaignCompletedEvent);
      await importNumbers(['+5534984140001', '+5534984140002']);
      await outcomes.writeOnce(campaignOutcome('autumn', '+5534984140001', 'busy', 0, 100));
      const last = await outcomes.writeOnce(campaignOutcome('autumn', '+5534984140002', 'answered', 0, 100));
      // A retried write of the last outcome completes nothing more.
      const again = await outcomes.writeOnce(campaignOutcome('autumn', '+5534984140002', 'answered', 0, 100));
      expect(again.campaignCompletedAt).toBeUndefined();
      const completedAt = last.campaignCompletedAt;
      expect(completedAt).toBe((await store.status('autumn')).completedAt);
      const [notice] = await client.redis.zrange(client.keys.campaignCompletions, '0', '0');
      // The process that wrote the last outcome hears of it on the call's completed event, while
      // the other one sweeps the same notice.
      a.publish({
        type: 'completed',
        jobId: 'autumn~+5534984140002',
        trunk: 'carrier',
        campaign: 'autumn',
        to: '+5534984140002',
        at: Date.now(),
        outcome: last.outcome,
        ...(completedAt !== undefined && { campaignCompletedAt: completedAt }),
      });
      await b.drainCompletions();
      await waitFor(() => completions().length > 0, { what: 'the campaign.completed delivery' });
      // A drainer that queued the notice and died before removing it leaves it behind: draining
      // it again queues nothing new.
      await client.redis.zadd(client.keys.campaignCompletions, completedAt ?? 0, notice ?? '');
      await Promise.all([a.drainCompletions(), b.drainCompletions()]);
      const queue = new Queue('callbacks', { connection: client.redis, prefix: client.keys.prefix });
      const settled = async () => {
        const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
        return Object.values(counts).every((n) => n === 0);
      };
      await waitFor(settled, { what: 'nothing left to deliver' });
      expect(await client.redis.zcard(client.keys.campaignCompletions)).toBe(0);

      // Refused once (503), delivered once, under one id.
      expect(receiver.received.map((r) => r.status)).toEqual([503, 204]);
      expect(new Set(receiver.received.map((r) => r.headers['x-dialer-delivery']))).toEqual(
        new Set([`campaign/autumn/${completedAt}`]),
      );
      const [event] = completions();
      expect(event).toEqual({
        id: `campaign/autumn/${completedAt}`,
        type: 'campaign.completed',
        campaign: 'autumn',
        completedAt,
        total: 2,
        done: 2,
        counts: { busy: 1, answered: 1 },
      });
      const delivered = receiver.accepted()[0];
      expect(delivered?.headers['x-dialer-event']).toBe('campaign.completed');
      expect(
        verifyCallbackSignature({
          secret: SECRET,
          body: delivered?.raw ?? '',
          timestamp: delivered?.headers['x-dialer-timestamp'] as string | undefined,
          signature: delivered?.headers['x-dialer-signature'] as string | undefined,
        }),
      ).toBe(true);

      // New numbers reopen it; paused when they end, it completes on resume (an API process's
      // step, which no worker hears of but by the notice): a second completion, a second callback.
      await importNumbers(['+5534984140003']);
      const control = new CampaignControl(client, store);
      await control.pause('autumn');
      await outcomes.writeOnce(campaignOutcome('autumn', '+5534984140003', 'no-answer', 0, undefined));
      await control.resume('autumn');
      await b.drainCompletions();
      await waitFor(() => completions().length === 2 && settled(), { what: 'the second completion' });
      const second = completions()[1];
      expect(second).toMatchObject({ campaign: 'autumn', total: 3, done: 3 });
      expect(second?.id).not.toBe(event?.id);
      await queue.close();
    } finally {
      await Promise.all(processes.map((p) => p.close()));
      await receiver.close();
      const found = await client.redis.keys(`${client.keys.prefix}*`);
      if (found.length > 0) await client.redis.del(...found);
      await client.close();
    }
  });
});

describe('status callbacks', () => {
  let worker: DialerWorker | undefined;
  let client: DialerClient | undefined;
  const cleanups: Array<() => Promise<void>> = [];

  afterEach(async () => {
    await worker?.close(500);
    await client?.close();
    for (const c of cleanups.splice(0)) await c();
    worker = undefined;
    client = undefined;
  });

  async function setUp(
    carrier: string,
    callbacks = `{ secret: "${SECRET}", backoff: 100ms, maxAttempts: 5, ${LOCAL} }`,
    logger = silentLogger(),
  ) {
    const { config } = await workerConfig({ redisUrl, carrier, extra: `callbacks: ${callbacks}` });
    ({ worker } = await startWorkerProcess({ config, logger }));
    client = new DialerClient({ redis: redisUrl, prefix: config.queuePrefix });
    return { config, client };
  }

  it('delivers initiated, ringing, answered, completed in order, signed, retrying a failed delivery', async () => {
    const receiver = await startReceiver((index) => (index === 0 ? 500 : 204));
    cleanups.push(() => receiver.close());
    const peer = await startSipp({ scenario: 'uas-answer.xml' });
    const { client } = await setUp(peer.uri);
    const call = await client.enqueueCall({
      number: '+5534984149880',
      callbackUrl: receiver.url('/hook?tenant=7'),
      script: { hangupAfterMs: 100 },
    });
    const outcome = await client.waitForOutcome(call.jobId, { timeoutMs: 15_000 });
    expect(outcome.status).toBe('answered');
    await waitFor(() => receiver.accepted().some((r) => r.event.type === 'completed'), {
      what: 'the completed event',
    });

    const accepted = receiver.accepted();
    expect(accepted.map((r) => r.event.type)).toEqual(['initiated', 'ringing', 'answered', 'completed']);
    expect(accepted.map((r) => r.event.sequence)).toEqual([1, 2, 3, 4]);
    expect(accepted.every((r) => r.event.jobId === call.jobId && r.path === '/hook?tenant=7')).toBe(true);
    // The first delivery was refused and retried: same event id, and nothing overtook it.
    expect(receiver.received[0]?.status).toBe(500);
    expect(receiver.received[0]?.event.type).toBe('initiated');
    expect(receiver.received[1]?.headers['x-dialer-delivery']).toBe(`${call.jobId}/1`);
    expect(receiver.received.map((r) => r.event.sequence)).toEqual([1, 1, 2, 3, 4]);

    for (const r of receiver.received) {
      const timestamp = r.headers['x-dialer-timestamp'] as string;
      const signature = r.headers['x-dialer-signature'] as string;
      expect(verifyCallbackSignature({ secret: SECRET, body: r.raw, timestamp, signature })).toBe(true);
      // The same check a receiver in any language does.
      const hex = createHmac('sha256', SECRET).update(`${timestamp}.${r.raw}`).digest('hex');
      expect(signature).toBe(`sha256=${hex}`);
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['x-dialer-event']).toBe(r.event.type);
    }
    const [initiated, ringing, answered, completed] = accepted.map((r) => r.event);
    expect(initiated).toMatchObject({
      attempt: 1,
      uri: 'sip:+5534984149880@carrier.test',
      to: '+5534984149880',
    });
    expect(ringing).toMatchObject({ attempt: 1, sipCode: 180 });
    expect(answered?.callId).toBe(outcome.attempts.at(-1)?.callId);
    expect(completed?.outcome).toEqual(outcome);
  });

  it('uses the campaign URL for its calls unless the job names its own, and for its completion', async () => {
    const campaignHook = await startReceiver(() => 200);
    const jobHook = await startReceiver(() => 200);
    cleanups.push(
      () => campaignHook.close(),
      () => jobHook.close(),
    );
    const peer = await startSipp({ scenario: 'uas-reject-603.xml', calls: 2 });
    const { config, client } = await setUp(peer.uri);
    const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
    cleanups.push(async () => void (await redis.quit()));
    await new CampaignStore({ redis, keys: client.keys }).create(
      'spring',
      { trunk: 'carrier', callbackUrl: campaignHook.url() },
      { state: 'running' },
    );
    // Both calls counted in the campaign: the worker's write of the second outcome completes it.
    await new CampaignStore({ redis, keys: client.keys }).addTotal('spring', 2);
    expect(config.callbacks?.secret).toBe(SECRET);
    const viaCampaign = await client.enqueueCall({ number: '+5534984149880', campaign: 'spring' });
    const own = await client.enqueueCall({
      number: '+5534984149881',
      campaign: 'spring',
      callbackUrl: jobHook.url('/mine'),
    });
    await client.waitForOutcome(viaCampaign.jobId, { timeoutMs: 15_000 });
    await client.waitForOutcome(own.jobId, { timeoutMs: 15_000 });
    await waitFor(
      () =>
        campaignHook.accepted().some((r) => r.event.type === 'completed') &&
        jobHook.accepted().some((r) => r.event.type === 'completed'),
      { what: 'both completed events' },
    );
    const done = await waitFor(
      () => campaignHook.accepted().find((r) => r.headers['x-dialer-event'] === 'campaign.completed'),
      { what: 'the campaign.completed event' },
    );
    expect(JSON.parse(done.raw)).toMatchObject({
      campaign: 'spring',
      total: 2,
      done: 2,
      counts: { declined: 2 },
    });
    // 603 Declined: no ringing, no answer; the outcome says declined.
    const callEvents = campaignHook.received.filter(
      (r) => r.headers['x-dialer-event'] !== 'campaign.completed',
    );
    expect(callEvents.map((r) => [r.event.jobId, r.event.type])).toEqual([
      [viaCampaign.jobId, 'initiated'],
      [viaCampaign.jobId, 'completed'],
    ]);
    expect(callEvents[1]?.event).toMatchObject({
      campaign: 'spring',
      outcome: { status: 'declined' },
    });
    expect(jobHook.received.map((r) => [r.event.jobId, r.event.type, r.path])).toEqual([
      [own.jobId, 'initiated', '/mine'],
      [own.jobId, 'completed', '/mine'],
    ]);
  });

  it('refuses a loopback receiver the allow-list does not name: each event given up at once, none received', async () => {
    const receiver = await startReceiver(() => 204);
    cleanups.push(() => receiver.close());
    const peer = await startSipp({ scenario: 'uas-answer.xml' });
    const raw: string[] = [];
    const logger = createLogger({ level: 'info', destination: { write: (l: string) => void raw.push(l) } });
    const { client, config } = await setUp(
      peer.uri,
      `{ secret: "${SECRET}", backoff: 50ms, maxAttempts: 5 }`,
      logger,
    );
    const call = await client.enqueueCall({
      number: '+5534984149880',
      callbackUrl: receiver.url('/hook?receiver-token=abc123'),
      script: { hangupAfterMs: 100 },
    });
    expect((await client.waitForOutcome(call.jobId, { timeoutMs: 15_000 })).status).toBe('answered');
    const refusals = () =>
      raw
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((l) => l['msg'] === 'status callback destination refused; giving up on this event');
    await waitFor(() => refusals().some((l) => l['event'] === 'completed'), {
      what: 'the completed event refused',
    });
    // Failed for good after one attempt each, not waiting for a retry.
    const queue = new Queue('callbacks', { connection: client.redis, prefix: config.queuePrefix });
    cleanups.push(() => queue.close());
    await waitFor(async () => (await queue.getJobCountByTypes('failed')) === 4, {
      what: 'four failed deliveries',
    });
    const failed = await queue.getJobs(['failed']);
    expect(failed.map((j) => j.attemptsMade)).toEqual([1, 1, 1, 1]);
    expect(await queue.getJobCountByTypes('delayed', 'wait', 'active')).toBe(0);
    expect(receiver.received).toEqual([]);
    const lines = refusals();
    expect(lines.map((l) => l['event'])).toEqual(['initiated', 'ringing', 'answered', 'completed']);
    expect(lines.every((l) => l['attempt'] === 1 && l['giveUp'] === true && l['level'] === 40)).toBe(true);
    expect(JSON.stringify(lines[0])).toMatch(/refused: 127\.0\.0\.1 is loopback/);
    expect(raw.join('')).not.toMatch(/receiver-token|abc123|\/hook/);
  });

  it('a receiver that never answers does not hold up the call or its outcome', async () => {
    const receiver = await startReceiver(() => 'hang');
    cleanups.push(() => receiver.close());
    const peer = await startSipp({ scenario: 'uas-answer.xml' });
    const { client } = await setUp(
      peer.uri,
      `{ secret: "${SECRET}", timeout: 30s, backoff: 100ms, ${LOCAL} }`,
    );
    const call = await client.enqueueCall({
      number: '+5534984149880',
      callbackUrl: receiver.url(),
      script: { hangupAfterMs: 100 },
    });
    await waitFor(() => receiver.received.length > 0, { what: 'the first delivery' });
    const outcome = await client.waitForOutcome(call.jobId, { timeoutMs: 15_000 });
    expect(outcome.status).toBe('answered');
    // The outcome is written while the very first delivery is still held unanswered.
    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0]?.status).toBeUndefined();
    expect(receiver.held).toHaveLength(1);
    // Closing the receiver ends the held delivery, so the worker can close without waiting it out.
    await receiver.close();
  });
});
