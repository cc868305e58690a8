import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { DialerClient } from '../../../src/jobs/dialer-client.js';
import { DialerKeys } from '../../../src/kernel/dialer-keys.js';
import { writeConfigFile } from '../../helpers/worker-process.js';
import { runCliCaptured as cli } from '../../helpers/run-cli-captured.js';

const redisUrl = inject('redisUrl');

describe('dialer migrate-keys', () => {
  const redis = new Redis(redisUrl);
  const prefix = `{t-${randomUUID().slice(0, 8)}}`;
  const keys = new DialerKeys(prefix);
  afterEach(async () => {
    const found = (await Promise.all(keys.patterns.map((p) => redis.keys(p)))).flat();
    if (found.length > 0) await redis.del(...found);
    redis.disconnect();
  });

  it("moves a single-tag deployment's trunk keys to the trunks' own tags and numbers' keys to the numbers', jobs, TTLs and all", async () => {
    const file = await writeConfigFile(
      `redis: ${redisUrl}\nqueuePrefix: "${prefix}"\ntrunks:\n  - name: carrier\n    domain: carrier.test\n`,
    );
    // The layout before: every key under the prefix, the queue's BullMQ prefix included.
    const oldQueue = new Queue('calls-carrier', { connection: redis, prefix });
    await oldQueue.add(
      'dial',
      { number: '+5534984149880', trunk: 'carrier' },
      { jobId: 'north~+5534984149880' },
    );
    await oldQueue.add(
      'dial',
      { number: '+5534984149881', trunk: 'carrier' },
      { jobId: 'north~+5534984149881', delay: 3_600_000 },
    );
    await oldQueue.add('dial', { number: '+5534984149883', trunk: 'carrier' }, { jobId: 'k~order-1' });
    await oldQueue.close();
    // The numbers' keys before: the fence and the attempts under the prefix too.
    await redis.set(`${prefix}:live:+5534984149880`, 'north~+5534984149880-1', 'PX', 600_000);
    await redis.hset(`${prefix}:attempts:north~+5534984149880`, 'a1', '{"attempt":1}');
    await redis.hset(`${prefix}:attempts:k~order-1`, 'a1', '{"attempt":1}');
    await redis.hset(`${prefix}:attempts:u~done`, 'a1', '{"attempt":2}');
    await redis.set(keys.outcome('u~done'), JSON.stringify({ jobId: 'u~done', to: '+5534984149884' }));
    await redis.hset(`${prefix}:attempts:u~unknown`, 'a1', '{}');
    await redis.set(`${prefix}:daily:2026-12-08:+5534984149880`, '2', 'PX', 600_000);
    await redis.hset(`${prefix}:limit:carrier:pace`, 'cps', '7');
    await redis.pexpire(`${prefix}:limit:carrier:pace`, 600_000);
    await redis.hset(`${prefix}:circuit:carrier`, 'state', 'open');
    await redis.sadd(`${prefix}:circuit:carrier:held`, 'north~+5534984149882');
    await redis.set(`${prefix}:format:carrier:BR`, 'national');
    // A trunk no longer in the config, known from what the workers published.
    await redis.hset(keys.trunks, 'backup', '{}');
    await redis.set(`${prefix}:format:backup:BR`, 'e164');
    await redis.xadd(keys.outcomes, '*', 'jobId', 'x');

    const dry = await cli(['migrate-keys', '--dry-run', '--json', '--config', file]);
    expect(dry.code, dry.err).toBe(0);
    const counted = JSON.parse(dry.out) as { trunks: { trunk: string; keys: number }[] };
    expect(counted.trunks.find((t) => t.trunk === 'backup')?.keys).toBe(1);
    expect(counted.trunks.find((t) => t.trunk === 'carrier')?.keys).toBeGreaterThan(4);
    expect(await redis.exists(`${prefix}:format:carrier:BR`)).toBe(1);
    expect(JSON.parse(dry.out)).toMatchObject({ numbers: { keys: 5, unknown: 1 } });
    expect(await redis.exists(`${prefix}:live:+5534984149880`)).toBe(1);

    const run = await cli(['migrate-keys', '--json', '--config', file]);
    expect(run.code, run.err).toBe(0);
    expect(JSON.parse(run.out)).toEqual({ ...counted, dryRun: false });
    expect(await redis.keys(`${prefix}:*carrier*`)).toEqual([]);
    expect(await redis.exists(keys.outcomes, keys.trunks)).toBe(2);

    const client = new DialerClient({
      redis: redisUrl,
      prefix,
      trunks: [{ name: 'carrier', domain: 'carrier.test' }],
    });
    try {
      const queue = client.queue('carrier');
      expect(await queue.getJobCounts('waiting', 'delayed')).toEqual({ waiting: 2, delayed: 1 });
      expect((await queue.getJob('north~+5534984149881'))?.data).toMatchObject({ number: '+5534984149881' });
      const pace = keys.trunkLimiter('carrier').pace;
      expect(await redis.hget(pace, 'cps')).toBe('7');
      expect(await redis.pttl(pace)).toBeGreaterThan(0);
      expect(await redis.smembers(keys.circuitHeld('carrier'))).toEqual(['north~+5534984149882']);
      expect(await redis.get(keys.dialFormat('backup', 'BR'))).toBe('e164');
      // Each number's fence (TTL kept) and each job's attempts, under the number's tag, whichever
      // way the number was learned: the job id, the job's data, the outcome.
      const fence = keys.liveCall('+5534984149880');
      expect(fence.startsWith(keys.numberPrefix('+5534984149880'))).toBe(true);
      expect(await redis.get(fence)).toBe('north~+5534984149880-1');
      expect(await redis.pttl(fence)).toBeGreaterThan(0);
      expect(await redis.hgetall(keys.attempts('north~+5534984149880', '+5534984149880'))).toEqual({
        a1: '{"attempt":1}',
      });
      expect(await redis.exists(keys.attempts('k~order-1', '+5534984149883'))).toBe(1);
      expect(await redis.exists(keys.attempts('u~done', '+5534984149884'))).toBe(1);
      expect(await redis.keys(`${prefix}:live:*`)).toEqual([]);
      const daily = keys.dailyAttempts('2026-12-08', '+5534984149880');
      expect(daily.startsWith(keys.numberPrefix('+5534984149880'))).toBe(true);
      expect(await redis.get(daily)).toBe('2');
      expect(await redis.pttl(daily)).toBeGreaterThan(0);
      expect(await redis.keys(`${prefix}:attempts:*`)).toEqual([`${prefix}:attempts:u~unknown`]);
    } finally {
      await client.close();
    }

    // Again: nothing left to move.
    const again = await cli(['migrate-keys', '--json', '--config', file]);
    expect((JSON.parse(again.out) as typeof counted).trunks.map((t) => t.keys)).toEqual([0, 0]);
    expect(JSON.parse(again.out)).toMatchObject({ numbers: { keys: 0, unknown: 1 } });

    // Refused while a worker is alive.
    await redis.set(keys.workerLease('w1'), '1', 'PX', 60_000);
    const refused = await cli(['migrate-keys', '--config', file]);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain('a worker is running');
  });
});
