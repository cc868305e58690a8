import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

export interface CliRun {
  /** null when the process was still running at the deadline (then it was killed). */
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
  readonly timedOut: boolean;
}

/** `dialer ARGS` as a real child process, killed if it is still running after `deadlineMs`. */
export function runCliProcess(
  args: readonly string[],
  options: { deadlineMs: number; env?: Record<string, string> },
): Promise<CliRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  return new Promise((resolve) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.deadlineMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code: timedOut ? null : code, out, err, timedOut });
    });
  });
}
