import { describe, expect, it } from 'vitest';
import { DialerClient } from '../../../src/jobs/dialer-client.js';
import { createLogger } from '../../../src/log/create-logger.js';
import { DialerWorker } from '../../../src/workers/dialer-worker.js';
import { OwnRedis } from '../../helpers/own-redis.js';
import { startSipp } from '../../helpers/sipp.js';
import { waitFor } from '../../helpers/wait-for.js';
import { workerConfig } from '../../helpers/worker-config.js';

describe('Redis restarted mid-campaign', () => {
  it('loses no job: every one ends with exactly one outcome', { timeout: 90_000 }, async () => {
    const calls = 20;
    const redis = await OwnRedis.start();
    const peer = await startSipp({ scenario: 'uas-answer.xml', calls, timeoutMs: 80_000 });
    const { config } = await workerConfig({ redisUrl: redis.url, carrier: peer.uri, cps: 8, maxChannels: 4 });
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn', destination: { write: (l: string) => void lines.push(l) } });
    const worker = await DialerWorker.start({ config, logger });
    const client = new DialerClient({ redis: redis.url, prefix: config.queuePrefix });
    try {
      const jobs = await client.enqueueMany(
        Array.from({ length: calls }, (_, i) => ({
          number: `+55349841${String(51000 + i)}`,
          script: { hangupAfterMs: 300 },
        })),
      );
      const ids = jobs.map((j) => (j.ok ? j.call.jobId : ''));
      const countOutcomes = async (): Promise<number> =>
        await client.redis.xlen(client.keys.outcomes).catch(() => -1);
      await waitFor(async () => (await countOutcomes()) >= 5, { what: 'five outcomes before the restart' });

      const before = lines.length;
      await redis.stop();
      // Down until the worker's own connection has found it gone (a reconnect refused), not for
      // a fixed time that a loaded machine may spend before the worker even notices.
      await waitFor(() => lines.slice(before).some((l) => l.includes('"msg":"redis connection error"')), {
        what: "the worker's connection to see Redis down",
      });
      await redis.restart();

      for (const id of ids) {
        const outcome = await client.waitForOutcome(id, { timeoutMs: 60_000 });
        expect(outcome.status).toBe('answered');
      }
      const stream = await client.redis.xrange(client.keys.outcomes, '-', '+');
      const perJob = new Map<string, number>();
      for (const [, fields] of stream) {
        const id = fields[fields.indexOf('jobId') + 1] ?? '';
        perJob.set(id, (perJob.get(id) ?? 0) + 1);
      }
      expect(perJob.size).toBe(calls);
      expect([...perJob.values()].every((n) => n === 1)).toBe(true);
    } finally {
      await worker.close(1000);
      await client.close();
      await redis.stop();
      await peer.stop();
    }
  });
});
