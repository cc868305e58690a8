import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const live = new Set<ChildProcess>();

try {
  afterAll(() => {
    for (const child of live) child.kill('SIGKILL');
  });
} catch {
  // Outside a test file: the exit hook still applies.
}
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export interface WorkerProcess {
  readonly child: ChildProcess;
  /** Every log line so far (JSON strings). */
  readonly lines: string[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): void;
}

export async function writeConfigFile(yaml: string): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), 'dialer-')), 'dialer.yaml');
  await writeFile(file, yaml);
  return file;
}

/**
 * `dialer worker --config FILE` as a real child process; resolves once it says it started, or
 * once its lines so far pass `readyWhen` (for a worker that cannot start, e.g. refused by Redis).
 */
export async function startWorkerProcess(
  configFile: string,
  env: Record<string, string> = {},
  readyWhen: (lines: readonly string[]) => boolean = (lines) =>
    lines.some((l) => l.includes('dialer worker started')),
  where: WorkerPlace = {},
): Promise<WorkerProcess> {
  const worker = spawnWorkerProcess(configFile, env, where);
  const { child, lines, exited } = worker;
  const deadline = Date.now() + 20_000;
  while (!readyWhen(lines)) {
    const done = await Promise.race([
      exited.then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), 50)),
    ]);
    if (done || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`worker did not start:\n${lines.slice(-20).join('\n')}`);
    }
  }
  return worker;
}

/** Where a worker process runs. */
export interface WorkerPlace {
  /** A network namespace (`ip netns exec`): a host of its own, as far as the network goes. */
  readonly netns?: string;
}

/** `dialer worker --config FILE` as a real child process, not waiting for it to start (or fail). */
export function spawnWorkerProcess(
  configFile: string,
  env: Record<string, string> = {},
  where: WorkerPlace = {},
): WorkerProcess {
  const node = [process.execPath, '--import', 'tsx', MAIN, 'worker', '--config', configFile];
  // `ip netns exec` execs node in place: the child's pid (and so its signals) are the worker's.
  const [command, ...args] = where.netns === undefined ? node : ['ip', 'netns', 'exec', where.netns, ...node];
  const child = spawn(command!, args, {
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  const lines: string[] = [];
  let buffered = '';
  const onData = (chunk: string): void => {
    buffered += chunk;
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    lines.push(...parts.filter((l) => l.length > 0));
  };
  child.stdout?.setEncoding('utf8').on('data', onData);
  child.stderr?.setEncoding('utf8').on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    }),
  );
  return { child, lines, exited, kill: (signal) => child.kill(signal) };
}
