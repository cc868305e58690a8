import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DialerClient } from '../../../src/jobs/index.js';
import { OwnRedis } from '../../helpers/own-redis.js';
import { waitFor } from '../../helpers/wait-for.js';

const PASSWORD = 'client-redis-pw-3e7a19c0';
const WRONG = 'client-redis-pw-stale-b84d';
const NO_RIGHTS_PASSWORD = 'client-no-rights-pw-12f0';
// "Hangs" is forever (BullMQ waits for `ready` with no deadline); the client gives up after 2 s.
// 20 s tells the two apart even on a loaded 2-core machine.
const DEADLINE_MS = 20_000;
const TRUNKS = [{ name: 'carrier', domain: 'carrier.test', defaultCountry: 'BR' }];

async function settled(promise: Promise<unknown>): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve('still waiting'), DEADLINE_MS);
  });
  try {
    return await Promise.race([
      promise.then(
        () => 'resolved',
        (error: unknown) => error,
      ),
      hang,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

describe('DialerClient against a Redis that refuses it', () => {
  let redis: OwnRedis;
  beforeAll(async () => {
    redis = await OwnRedis.start({ appendonly: false, requirepass: PASSWORD });
    const admin = new Redis(redis.url, { password: PASSWORD });
    await admin.call('ACL', 'SETUSER', 'norights', 'on', `>${NO_RIGHTS_PASSWORD}`);
    await admin.quit();
  });
  afterAll(async () => {
    await redis.stop();
  });

  for (const [label, secret, url] of [
    ['a wrong password', WRONG, () => `redis://:${WRONG}@127.0.0.1:${redis.port}`],
    [
      'an ACL user without rights',
      NO_RIGHTS_PASSWORD,
      () => `redis://norights:${NO_RIGHTS_PASSWORD}@127.0.0.1:${redis.port}`,
    ],
  ] as const) {
    it(
      `with ${label}, enqueueCall and getOutcome reject with REDIS_UNREACHABLE naming the URL`,
      async () => {
        const client = new DialerClient({
          redis: url(),
          prefix: `{client-refused-${process.pid}}`,
          trunks: TRUNKS,
        });
        try {
          for (const operation of [
            () => client.enqueueCall({ number: '+5534984149880' }),
            () => client.enqueueMany([{ number: '+5534984149881' }]),
            () => client.getOutcome('job-1'),
          ]) {
            const error = await settled(operation());
            expect(error).toBeInstanceOf(Error);
            expect(error).toMatchObject({ code: 'REDIS_UNREACHABLE' });
            const message = (error as Error).message;
            expect(message).toContain(`:***@127.0.0.1:${redis.port}`);
            expect(message).toMatch(/WRONGPASS|NOPERM/);
            expect(message).not.toContain(secret);
          }
        } finally {
          await settled(client.close());
        }
      },
      DEADLINE_MS * 5,
    );
  }

  it(
    'with the right password, enqueues (the same client code path works)',
    async () => {
      const client = new DialerClient({
        redis: `redis://:${PASSWORD}@127.0.0.1:${redis.port}`,
        prefix: `{client-ok-${process.pid}}`,
        trunks: TRUNKS,
      });
      try {
        const call = await client.enqueueCall({ number: '+5534984149880' });
        expect(call.duplicate).toBe(false);
      } finally {
        await client.close();
      }
    },
    DEADLINE_MS,
  );
});

describe('DialerClient when Redis dies mid-enqueue', () => {
  it(
    'rejects with REDIS_UNREACHABLE instead of waiting for Redis to come back',
    async () => {
      const redis = await OwnRedis.start({ appendonly: false });
      const client = new DialerClient({
        redis: redis.url,
        prefix: `{client-dies-${process.pid}}`,
        trunks: TRUNKS,
      });
      try {
        // Warm up, so the enqueue below is the only thing in flight.
        await client.enqueueCall({ number: '+5534984149881' });
        const admin = new Redis(redis.url);
        // Writes wait on the server: the enqueue is in flight when Redis dies.
        await admin.call('CLIENT', 'PAUSE', '30000', 'WRITE');
        admin.disconnect();
        const enqueue = client.enqueueCall({ number: '+5534984149880' });
        enqueue.catch(() => undefined);
        await new Promise((r) => setTimeout(r, 300));
        await redis.kill();
        const error = await settled(enqueue);
        expect(error).toMatchObject({ code: 'REDIS_UNREACHABLE' });
        expect((error as Error).message).toContain(`127.0.0.1:${redis.port}`);
        // Back up (empty, no AOF): a call enqueued now goes through, and ioredis would have sent
        // the failed enqueue first had it kept it. The caller was told it failed: it must not be
        // queued behind its back, or the caller's retry would dial the number twice.
        await redis.restart();
        await waitFor(
          async () => {
            try {
              await client.enqueueCall({ number: '+5534984149882' });
              return true;
            } catch {
              return false;
            }
          },
          { what: 'an enqueue after Redis came back' },
        );
        const queued = await client.queue('carrier').getJobs(['waiting', 'delayed', 'prioritized']);
        expect(queued.map((j) => (j.data as { number: string }).number)).toEqual(['+5534984149882']);
      } finally {
        await settled(client.close());
        await redis.kill();
      }
    },
    DEADLINE_MS * 2,
  );
});
