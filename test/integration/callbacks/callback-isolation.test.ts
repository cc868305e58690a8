import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Queue } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { CallbackKeys, CallbackWorker, type CallbackDeliveryJob } from '../../../src/callbacks/index.js';
import { silentLogger } from '../../../src/log/create-logger.js';
import { waitFor } from '../../helpers/wait-for.js';
import { freshRedis } from '../workers/fresh-redis.js';

interface Receiver {
  readonly url: string;
  /** Event ids in the order their request bodies arrived. */
  readonly received: string[];
  /** Requests held unanswered (a hanging receiver's). */
  readonly held: Array<{ req: IncomingMessage; res: ServerResponse }>;
  close(): Promise<void>;
}

/** A real HTTP receiver on loopback that answers 204, or accepts and never answers. */
async function startReceiver(mode: 'answer' | 'hang'): Promise<Receiver> {
  const received: string[] = [];
  const held: Receiver['held'] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: string }).id);
      if (mode === 'hang') held.push({ req, res });
      else res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    held,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('callback delivery isolation', () => {
  it('keeps delivering to a receiver while another holds its first request open', async () => {
    const redis = freshRedis();
    cleanups.push(() => redis.cleanup());
    const hanging = await startReceiver('hang');
    const healthy = await startReceiver('answer');
    // Runs last: ends the held request, so the worker's close does not wait out the timeout.
    cleanups.push(() => healthy.close());
    const keys = new CallbackKeys(redis.prefix);
    const queue = new Queue<CallbackDeliveryJob>(keys.queueName, {
      connection: redis.connect(),
      prefix: keys.prefix,
    });
    cleanups.push(() => queue.close());
    const enqueue = async (url: string, jobId: string) => {
      const body = JSON.stringify({ id: `${jobId}/1`, jobId, sequence: 1, type: 'initiated' });
      await queue.add(
        'initiated',
        { url, body, type: 'initiated', eventId: `${jobId}/1`, jobId, trunk: 'carrier', sequence: 1 },
        { attempts: 3, backoff: { type: 'exponential', delay: 100 }, removeOnComplete: true },
      );
    };
    // The hung receiver's events are queued first: without lanes they would take every slot.
    for (let i = 0; i < 6; i++) await enqueue(hanging.url, `hang-${i}`);
    for (let i = 0; i < 6; i++) await enqueue(healthy.url, `ok-${i}`);

    const worker = new CallbackWorker({
      redis: redis.connect(),
      keys,
      secret: 'callback-secret-for-tests-0123',
      // Far longer than the wait below: the healthy receiver cannot be reached by timing out the hung one.
      timeoutMs: 60_000,
      maxAttempts: 3,
      backoffMs: 100,
      concurrency: 3,
      perHostConcurrency: 1,
      keyTtlMs: 60_000,
      logger: silentLogger(),
      allowPrivate: ['127.0.0.1/32'],
    });
    cleanups.push(async () => {
      await hanging.close();
      await worker.close();
    });

    // A delivery's job is finished only after its receiver has the body, so both are waited for.
    await waitFor(
      async () =>
        healthy.received.length === 6 && (await queue.getJobCountByTypes('delayed', 'wait', 'active')) === 6,
      { what: "all of the healthy receiver's events delivered and their jobs finished" },
    );
    expect([...healthy.received].sort()).toEqual([0, 1, 2, 3, 4, 5].map((i) => `ok-${i}/1`));
    // Meanwhile the hung receiver got one request (its lane's one slot) and still holds it open.
    expect(hanging.received).toEqual(['hang-0/1']);
    expect(hanging.held).toHaveLength(1);
    expect(hanging.held[0]!.res.writableEnded).toBe(false);
    expect(hanging.held[0]!.req.socket.destroyed).toBe(false);
    // The rest of its events wait in the queue, none lost and none spent as a failed attempt.
    expect(await queue.getJobCountByTypes('failed')).toBe(0);
    expect(await queue.getJobCountByTypes('delayed', 'wait', 'active')).toBe(6);
  });
});
