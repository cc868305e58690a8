import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { freeTcpPort } from './free-port.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `redis://127.0.0.1:N`: a private redis-server for this run, or `REDIS_URL` when set. */
    redisUrl: string;
  }
}

const REDIS_READY_TIMEOUT_MS = 10_000;

/**
 * Once per `vitest run`: checks that sipp is installed and starts a private Redis (unless REDIS_URL
 * names one), exposed to tests as `inject('redisUrl')`.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  requireCommand('sipp', ['-v'], 'sipp (SIPp) is not installed: apt-get install sip-tester');

  const external = process.env['REDIS_URL'];
  if (external !== undefined && external !== '') {
    project.provide('redisUrl', external);
    return async () => {};
  }

  requireCommand(
    'redis-server',
    ['--version'],
    'redis-server is not installed: apt-get install redis-server',
  );
  const redis = await startRedis();
  project.provide('redisUrl', redis.url);
  return redis.stop;
}

function requireCommand(command: string, args: string[], message: string): void {
  const result = spawnSync(command, args, { stdio: 'ignore' });
  if (result.error !== undefined) throw new Error(message);
}

interface PrivateRedis {
  readonly url: string;
  stop(): Promise<void>;
}

async function startRedis(): Promise<PrivateRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'dialer-redis-'));
  for (let attempt = 1; ; attempt++) {
    const port = await freeTcpPort();
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--daemonize',
        'no',
        '--dir',
        dir,
        // BullMQ warns on any other policy.
        '--maxmemory-policy',
        'noeviction',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
    let hasExited = false;
    void exited.then(() => (hasExited = true));
    const killOnExit = (): void => void child.kill('SIGKILL');
    process.once('exit', killOnExit);

    if (await waitForPong(port, () => hasExited)) {
      return {
        url: `redis://127.0.0.1:${port}`,
        stop: async () => {
          process.off('exit', killOnExit);
          await stopChild(child, exited, () => hasExited);
          await rm(dir, { recursive: true, force: true });
        },
      };
    }
    await stopChild(child, exited, () => hasExited);
    process.off('exit', killOnExit);
    // The port picked as free can be taken before redis binds it.
    if (attempt >= 3 || !/address already in use/i.test(output)) {
      await rm(dir, { recursive: true, force: true });
      throw new Error(`redis-server did not start on 127.0.0.1:${port}:\n${output.trim()}`);
    }
  }
}

async function stopChild(
  child: ChildProcess,
  exited: Promise<void>,
  hasExited: () => boolean,
): Promise<void> {
  if (hasExited()) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

async function waitForPong(port: number, hasExited: () => boolean): Promise<boolean> {
  const deadline = Date.now() + REDIS_READY_TIMEOUT_MS;
  while (Date.now() < deadline && !hasExited()) {
    if (await ping(port)) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}
