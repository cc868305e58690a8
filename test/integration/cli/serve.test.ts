import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';
import { OwnRedis } from '../../helpers/own-redis.js';
import { writeConfigFile } from '../../helpers/worker-process.js';

const MAIN = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));
const TOKEN = 'serve-test-token-0123456789-SECRET';
const REDIS_PASSWORD = 'serve-redis-pw-6e1f0a93';
// In the same file as the API's settings in production, so the API process holds them too.
const TRUNK_PASSWORD = 'serve-trunk-pw-2d7b90c4';
const CALLBACK_SECRET = 'serve-callback-secret-91e4f0';

interface Served {
  readonly lines: string[];
  readonly exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): void;
}

function serve(config: string, env: Record<string, string>): Served {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', MAIN, 'serve', '--config', config, '--listen', '127.0.0.1:0'],
    {
      env: { ...process.env, LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const lines: string[] = [];
  const take = (chunk: string): void => void lines.push(...chunk.split('\n').filter(Boolean));
  child.stdout.setEncoding('utf8').on('data', take);
  child.stderr.setEncoding('utf8').on('data', take);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { lines, exited, kill: (signal) => void child.kill(signal) };
}

/** A tsx process starting on a loaded 2-core machine has been seen silent for 20 s. */
const START_BOUND_MS = 60_000;

async function listening(served: Served): Promise<string> {
  const deadline = Date.now() + START_BOUND_MS;
  for (;;) {
    const line = served.lines.find((l) => l.includes('dialer api listening'));
    if (line) return (JSON.parse(line) as { url: string }).url;
    if (Date.now() > deadline) {
      served.kill('SIGKILL');
      throw new Error(`serve did not start:\n${served.lines.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('dialer serve', () => {
  const redisUrl = inject('redisUrl');
  const yaml = (api: string) =>
    `redis: ${redisUrl}\nqueuePrefix: "{serve-${process.pid}}"\ntrunks:\n  - name: carrier\n    domain: carrier.test\n${api}`;

  it(
    'serves until SIGTERM, then closes cleanly with status 0; the token never reaches the log',
    async () => {
      const config = await writeConfigFile(yaml('api:\n  token: ${API_TOKEN}\n'));
      const served = serve(config, { API_TOKEN: TOKEN });
      const url = await listening(served);
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      expect((await fetch(`${url}/v1/campaigns`)).status).toBe(401);
      const ok = await fetch(`${url}/v1/campaigns`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(ok.status).toBe(200);
      const page = await fetch(`${url}/docs/json?token=${TOKEN}`, { redirect: 'manual' });
      expect(page.status).toBe(303);

      served.kill('SIGTERM');
      expect(await served.exited).toBe(0);
      expect(served.lines.some((l) => l.includes('dialer api stopped'))).toBe(true);
      expect(served.lines.some((l) => l.includes('token=[redacted]'))).toBe(true);
      for (const line of served.lines) expect(line).not.toContain(TOKEN);
    },
    2 * START_BOUND_MS,
  );

  it(
    'refused by Redis, is not ready, and no secret of its config (nor the password it sent) is logged',
    async () => {
      const redis = await OwnRedis.start({ appendonly: false, requirepass: REDIS_PASSWORD });
      try {
        const wrong = `${REDIS_PASSWORD}-old`;
        const config = await writeConfigFile(
          `redis: \${REDIS_URL}\nqueuePrefix: "{serve-${process.pid}}"\ntrunks:\n  - name: carrier\n    domain: carrier.test\n` +
            `    username: dialer1\n    password: \${CARRIER_PASSWORD}\n` +
            `callbacks: { secret: "\${CALLBACK_SECRET}" }\napi:\n  token: \${API_TOKEN}\n`,
        );
        const served = serve(config, {
          API_TOKEN: TOKEN,
          CARRIER_PASSWORD: TRUNK_PASSWORD,
          CALLBACK_SECRET,
          REDIS_URL: `redis://:${wrong}@127.0.0.1:${redis.port}`,
        });
        const url = await listening(served);
        expect((await fetch(`${url}/readyz`)).status).toBe(503);
        const ok = await fetch(`${url}/v1/campaigns`, { headers: { authorization: `Bearer ${TOKEN}` } });
        expect(ok.status).toBeGreaterThanOrEqual(500);
        expect(
          (
            await fetch(`${url}/v1/campaigns`, {
              headers: { authorization: 'Bearer wrong-0123456789abcdef' },
            })
          ).status,
        ).toBe(401);
        served.kill('SIGTERM');
        expect(await served.exited).toBe(0);
        // `wrong` begins with the real password, so a leak of either is found.
        for (const secret of [REDIS_PASSWORD, TOKEN, TRUNK_PASSWORD, CALLBACK_SECRET]) {
          expect(served.lines.filter((l) => l.includes(secret))).toEqual([]);
        }
      } finally {
        await redis.stop();
      }
    },
    2 * START_BOUND_MS,
  );

  it('exits 2 naming api.token when the config has none', async () => {
    const config = await writeConfigFile(yaml(''));
    const served = serve(config, {});
    expect(await served.exited).toBe(2);
    expect(served.lines.join('\n')).toContain('api.token');
  });
});
