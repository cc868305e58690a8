import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliProcess } from '../../helpers/cli-process.js';
import { OwnRedis } from '../../helpers/own-redis.js';
import { writeConfigFile } from '../../helpers/worker-process.js';

const PASSWORD = 'cli-refused-pw-0d4b7e21';
const WRONG = 'cli-refused-pw-stale-9a3c';
// As in cli-redis-down.test.ts: a CLI start costs seconds of CPU under tsx on a loaded 2-core
// machine; a minute is far above that and still tells a hang.
const DEADLINE_MS = 60_000;

// One at a time: CLI processes started together on a loaded machine starve each other.
describe('CLI commands when Redis refuses the login', () => {
  let redis: OwnRedis;
  let file: string;
  beforeAll(async () => {
    redis = await OwnRedis.start({ appendonly: false, requirepass: PASSWORD });
    file = await writeConfigFile(
      `redis: redis://:${WRONG}@127.0.0.1:${redis.port}\ntrunks:\n  - name: carrier\n    domain: carrier.test\n    defaultCountry: BR\n`,
    );
  });
  afterAll(async () => {
    await redis.stop();
  });

  for (const args of [
    ['call', '+5534984149880'],
    ['campaign', 'list'],
    ['dnc', 'check', '+5534984149880'],
  ]) {
    it(
      `dialer ${args.join(' ')} exits 1 saying Redis refused, naming the URL without its password`,
      async () => {
        const run = await runCliProcess([...args, '--config', file], { deadlineMs: DEADLINE_MS });
        expect(run.timedOut, `still running after ${DEADLINE_MS} ms:\n${run.err}`).toBe(false);
        expect(run.code).toBe(1);
        expect(run.err).toContain(`redis://:***@127.0.0.1:${redis.port}`);
        expect(run.err).toContain('[REDIS_UNREACHABLE]');
        expect(run.err).toContain('WRONGPASS');
        expect(run.err + run.out).not.toContain(WRONG);
      },
      DEADLINE_MS + 10_000,
    );
  }
});
