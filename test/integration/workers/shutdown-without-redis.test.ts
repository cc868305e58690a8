import { describe, expect, it } from 'vitest';
import { DialerClient } from '../../../src/jobs/dialer-client.js';
import { OwnRedis } from '../../helpers/own-redis.js';
import { startSipp } from '../../helpers/sipp.js';
import { startWorkerProcess, writeConfigFile } from '../../helpers/worker-process.js';
import { workerConfig } from '../../helpers/worker-config.js';
import { waitFor } from '../../helpers/wait-for.js';

// shutdown.grace is 2 s in test configs; the promise is grace + 5 s, this bound only catches a hang.
const EXIT_DEADLINE_MS = 32_000;

describe('SIGTERM while Redis is unreachable', () => {
  it('ends the live call with BYE, names the job it could not hand back, and exits', async () => {
    const redis = await OwnRedis.start();
    const peer = await startSipp({ scenario: 'uas-answer.xml', timeoutMs: 90_000 });
    const { yaml, prefix } = await workerConfig({
      redisUrl: redis.url,
      carrier: peer.uri,
      maxCallLength: '5m',
    });
    try {
      const worker = await startWorkerProcess(await writeConfigFile(yaml));
      const client = new DialerClient({ redis: redis.url, prefix });
      const call = await client.enqueueCall({ number: '+5534984149880' });
      await client.close();
      await waitFor(
        async () => (await peer.messages()).some((m) => m.direction === 'received' && m.method === 'ACK'),
        { what: "(await peer.messages()).some((m) => m.direction === 'received' && m.method === 'ACK')" },
      );

      await redis.stop();
      worker.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const exit = await Promise.race([
        worker.exited,
        new Promise<'still running'>((r) => (timer = setTimeout(() => r('still running'), EXIT_DEADLINE_MS))),
      ]);
      clearTimeout(timer);
      if (exit === 'still running') worker.kill('SIGKILL');
      const output = worker.lines.join('\n');

      expect(exit, output.slice(-3000)).not.toBe('still running');
      expect(exit).toEqual({ code: 1, signal: null });
      const wire = await peer.messages();
      expect(wire.some((m) => m.direction === 'received' && m.method === 'BYE')).toBe(true);
      const notHandedBack = worker.lines.filter((l) => l.includes('could not be handed back'));
      expect(notHandedBack.join('\n')).toContain(call.jobId);
      expect(output).toContain(`[SHUTDOWN_INCOMPLETE]`);
    } finally {
      await peer.stop();
      await redis.kill();
    }
  }, 90_000);
});
