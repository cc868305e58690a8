import { describe, expect, it } from 'vitest';
import { runCliProcess } from '../../helpers/cli-process.js';
import { freeTcpPort } from '../../helpers/free-port.js';
import { writeConfigFile } from '../../helpers/worker-process.js';

// Far above the few seconds the PING deadline takes on a loaded machine, far below "hangs".
const DEADLINE_MS = 20_000;

async function configAgainstClosedPort(): Promise<{ file: string; port: number }> {
  const port = await freeTcpPort();
  const file = await writeConfigFile(
    `redis: redis://:hunter2-secret@127.0.0.1:${port}\ntrunks:\n  - name: carrier\n    domain: carrier.test\n    defaultCountry: BR\n`,
  );
  return { file, port };
}

// Concurrent: four real CLI processes, each mostly waiting on its PING deadline.
describe.concurrent('CLI commands when Redis does not answer', () => {
  for (const args of [
    ['call', '+5534984149880'],
    ['campaign', 'list'],
    ['dnc', 'check', '+5534984149880'],
    ['campaign', 'status', 'spring'],
  ]) {
    it(`dialer ${args.join(' ')} exits 1 naming the URL without its password`, async () => {
      const { file, port } = await configAgainstClosedPort();
      const run = await runCliProcess([...args, '--config', file], { deadlineMs: DEADLINE_MS });
      expect(run.timedOut, `still running after ${DEADLINE_MS} ms:\n${run.err}`).toBe(false);
      expect(run.code).toBe(1);
      expect(run.err).toContain(`redis://:***@127.0.0.1:${port}`);
      expect(run.err).toContain('[REDIS_UNREACHABLE]');
      expect(run.err + run.out).not.toContain('hunter2');
      expect(run.err).not.toMatch(/\n\s+at /);
    });
  }
});
