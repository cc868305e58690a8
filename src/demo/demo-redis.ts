import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { ManagedChild } from './managed-child.js';
import { pingRedis } from './ping-redis.js';

export interface DemoRedis {
  readonly url: string;
  /** The private redis-server the demo started, when it had to. */
  readonly child?: ManagedChild;
  stop(): Promise<void>;
}

const DEFAULT_HOST = '127.0.0.1';
const DEFAULT_PORT = 6379;

/** The Redis that answers at `REDIS_URL` or on 127.0.0.1:6379, if any. */
export async function findRedis(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const fromEnv = env['REDIS_URL'];
  if (fromEnv) {
    const url = new URL(fromEnv);
    const ok = await pingRedis(url.hostname || DEFAULT_HOST, Number(url.port || DEFAULT_PORT), 1000);
    // A password-protected Redis does not answer a bare PING, but ioredis will log in with the URL.
    return ok || url.password !== '' ? fromEnv : undefined;
  }
  return (await pingRedis(DEFAULT_HOST, DEFAULT_PORT))
    ? `redis://${DEFAULT_HOST}:${DEFAULT_PORT}`
    : undefined;
}

/** A private redis-server on a free loopback port, no persistence, data in a temporary directory. */
export async function startPrivateRedis(): Promise<DemoRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'dialer-demo-redis-'));
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const child = await ManagedChild.start(
      'redis-server',
      'redis-server',
      // BullMQ wants noeviction: an evicted job key would lose a number.
      [
        '--port',
        String(port),
        '--bind',
        DEFAULT_HOST,
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        '--maxmemory-policy',
        'noeviction',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const deadline = Date.now() + 10_000;
    while (child.running && Date.now() < deadline && !(await pingRedis(DEFAULT_HOST, port))) {
      await new Promise((r) => setTimeout(r, 50));
    }
    if (child.running && (await pingRedis(DEFAULT_HOST, port))) {
      return {
        url: `redis://${DEFAULT_HOST}:${port}`,
        child,
        async stop() {
          await child.stop();
          await rm(dir, { recursive: true, force: true });
        },
      };
    }
    await child.stop();
    // The port picked as free can be taken before redis binds it.
    if (attempt >= 3 || !/address already in use/i.test(child.output)) {
      await rm(dir, { recursive: true, force: true });
      throw new Error(
        `redis-server did not start on ${DEFAULT_HOST}:${port}: ${child.output.trim().slice(-500)}`,
      );
    }
  }
}
