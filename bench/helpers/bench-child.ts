import { spawn, type ChildProcess } from 'node:child_process';

/** A process a benchmark started: its exit code when it exits, and the tail of what it printed. */
export interface BenchChild {
  readonly process: ChildProcess;
  readonly exited: Promise<number | null>;
  readonly output: () => string;
}

/** Children still running: killed if the benchmark exits without stopping them (one hook for all). */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** Starts `command`, keeping the last 8 000 characters of its stdout and stderr for error messages. */
export function startChild(
  command: string,
  args: readonly string[],
  options: { readonly cwd?: string; readonly env?: NodeJS.ProcessEnv } = {},
): BenchChild {
  const child = spawn(command, args, {
    ...(options.cwd !== undefined && { cwd: options.cwd }),
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: string): void => {
    output = (output + chunk).slice(-8000);
  };
  child.stdout?.setEncoding('utf8').on('data', keep);
  child.stderr?.setEncoding('utf8').on('data', keep);
  live.add(child);
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      live.delete(child);
      resolve(code);
    });
  });
  return { process: child, exited, output: () => output };
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the child is gone. Idempotent. */
export async function stopChild(child: BenchChild, graceMs = 2000): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  child.process.kill('SIGTERM');
  const killed = setTimeout(() => child.process.kill('SIGKILL'), graceMs);
  await child.exited.catch(() => null);
  clearTimeout(killed);
}
