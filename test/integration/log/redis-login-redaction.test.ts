import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OwnRedis } from '../../helpers/own-redis.js';
import { startWorkerProcess, writeConfigFile } from '../../helpers/worker-process.js';
import { workerConfig } from '../../helpers/worker-config.js';

// Distinctive values: a hit can only be a leak.
const REDIS_PASSWORD = 'Redis-Default-Pw-4f9a27c1';
const ACL_USER = 'dialer';
const ACL_PASSWORD = 'Redis-Acl-Pw-b83e5d60';
const WRONG_PASSWORD = 'Redis-Stale-Pw-0d7c3e95';

type Line = Record<string, unknown> & { level: number; msg?: string };

describe('a worker refused by Redis', () => {
  let redis: OwnRedis;

  beforeAll(async () => {
    redis = await OwnRedis.start({
      appendonly: false,
      requirepass: REDIS_PASSWORD,
      users: { [ACL_USER]: ACL_PASSWORD },
    });
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it.each([
    { case: 'a wrong password', user: '', password: WRONG_PASSWORD },
    { case: 'the right password with a mistyped ACL user', user: 'dialr', password: ACL_PASSWORD },
  ])('reports the refusal naming the host, never the password: $case', async ({ user, password }) => {
    const base = await workerConfig({ redisUrl: 'redis://__redis__', carrier: '127.0.0.1:9' });
    // The password comes from the environment, as in production.
    const file = await writeConfigFile(base.yaml.replace('redis://__redis__', '${REDIS_URL}'));
    const worker = await startWorkerProcess(
      file,
      { REDIS_URL: `redis://${user}:${password}@127.0.0.1:${redis.port}` },
      (lines) => lines.some((l) => l.includes('WRONGPASS')),
    );
    // A refused login fails the start: the worker exits on its own (killed if it lingers).
    const lingering = setTimeout(() => worker.kill('SIGKILL'), 20_000);
    const exit = await worker.exited;
    clearTimeout(lingering);
    expect(exit.code).toBe(1);
    const output = worker.lines;
    for (const secret of [password, encodeURIComponent(password), REDIS_PASSWORD, ACL_PASSWORD]) {
      expect(output.filter((l) => l.includes(secret))).toEqual([]);
    }
    const refusals = refusalsIn(output);
    expect(refusals.length).toBeGreaterThanOrEqual(1);
    for (const refusal of refusals) {
      expect(refusal.level).toBeGreaterThanOrEqual(40);
      expect(refusal['redis']).toBe(`${user === '' ? '' : `${user}@`}127.0.0.1:${redis.port}`);
      expect(JSON.stringify(refusal)).toContain('WRONGPASS');
    }
  });
});

function refusalsIn(lines: readonly string[]): Line[] {
  return lines
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Line)
    .filter((l) => typeof l.msg === 'string' && l.msg.includes('refused the login'));
}
