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

  it("moves a single-tag deployment's trunk keys to the trunks' own tags, jobs, TTLs and all", async () => {
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
    await oldQueue.close();
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
      expect(await queue.getJobCounts('waiting', 'delayed')).toEqual({ waiting: 1, delayed: 1 });
      expect((await queue.getJob('north~+5534984149881'))?.data).toMatchObject({ number: '+5534984149881' });
      const pace = keys.trunkLimiter('carrier').pace;
      expect(await redis.hget(pace, 'cps')).toBe('7');
      expect(await redis.pttl(pace)).toBeGreaterThan(0);
      expect(await redis.smembers(keys.circuitHeld('carrier'))).toEqual(['north~+5534984149882']);
      expect(await redis.get(keys.dialFormat('backup', 'BR'))).toBe('e164');
    } finally {
      await client.close();
    }

    // Again: nothing left to move.
    const again = await cli(['migrate-keys', '--json', '--config', file]);
    expect((JSON.parse(again.out) as typeof counted).trunks.map((t) => t.keys)).toEqual([0, 0]);

    // Refused while a worker is alive.
    await redis.set(keys.workerLease('w1'), '1', 'PX', 60_000);
    const refused = await cli(['migrate-keys', '--config', file]);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain('a worker is running');
  });
});
