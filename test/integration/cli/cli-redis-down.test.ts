import { describe, expect, it } from 'vitest';
import { runCliProcess } from '../../helpers/cli-process.js';
import { freeTcpPort } from '../../helpers/free-port.js';
import { writeConfigFile } from '../../helpers/worker-process.js';

// "Hangs" means ioredis reconnecting forever. A CLI start costs ~1.7 s of CPU under tsx, so on a
// 2-core machine at load 14 one run took 20 s; a minute is far above that and still tells a hang.
const DEADLINE_MS = 60_000;

async function configAgainstClosedPort(): Promise<{ file: string; port: number }> {
  const port = await freeTcpPort();
  const file = await writeConfigFile(
    `redis: redis://:hunter2-secret@127.0.0.1:${port}\ntrunks:\n  - name: carrier\n    domain: carrier.test\n    defaultCountry: BR\n`,
  );
  return { file, port };
}

// One at a time: four CLI processes started together on a loaded machine starve each other.
describe('CLI commands when Redis does not answer', () => {
  for (const args of [
    ['call', '+5534984149880'],
    ['campaign', 'list'],
    ['dnc', 'check', '+5534984149880'],
    ['campaign', 'status', 'spring'],
  ]) {
    it(
      `dialer ${args.join(' ')} exits 1 naming the URL without its password`,
      async () => {
        const { file, port } = await configAgainstClosedPort();
        const run = await runCliProcess([...args, '--config', file], { deadlineMs: DEADLINE_MS });
        expect(run.timedOut, `still running after ${DEADLINE_MS} ms:\n${run.err}`).toBe(false);
        expect(run.code).toBe(1);
        expect(run.err).toContain(`redis://:***@127.0.0.1:${port}`);
        expect(run.err).toContain('[REDIS_UNREACHABLE]');
        expect(run.err + run.out).not.toContain('hunter2');
        expect(run.err).not.toMatch(/\n\s+at /);
      },
      DEADLINE_MS + 10_000,
    );
  }
});
