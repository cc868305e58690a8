import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const redisUrl = inject('redisUrl');

interface DemoRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `npm run demo` as a user runs it, with a small campaign. */
function runDemo(env: Record<string, string>): Promise<DemoRun> {
  return new Promise((resolve, reject) => {
    const { REDIS_URL: _ignored, ...base } = process.env;
    const child = spawn('npm', ['run', '--silent', 'demo'], {
      cwd: ROOT,
      env: { ...base, DEMO_SIZE: '30', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The outcome table: status → numbers. */
function table(stdout: string): Map<string, number> {
  const rows = new Map<string, number>();
  for (const line of stdout.split('\n')) {
    const match = /^([a-z-]+)\s+(\d+)\s+\d+\.\d%$/.exec(line.trim());
    if (match) rows.set(match[1]!, Number(match[2]));
  }
  return rows;
}

function checkReport(run: DemoRun): void {
  expect(run.code, run.stderr).toBe(0);
  expect(run.stdout).toMatch(/^status\s+numbers\s+share$/m);
  const rows = table(run.stdout);
  expect(rows.get('total')).toBe(30);
  const byStatus = [...rows].filter(([s]) => s !== 'total');
  expect(byStatus.reduce((sum, [, n]) => sum + n, 0)).toBe(30);
  // The carrier answers, refuses as busy, rings out and 404s: each shows up in 30 numbers.
  expect(rows.get('answered')).toBeGreaterThan(0);
  expect(byStatus.length).toBeGreaterThanOrEqual(3);
  expect(run.stdout).toMatch(
    /^INVITEs\/s:\s+\d+\.\d \(\d+ INVITEs in \d+\.\d s, \d+ of them \+E\.164 refused/m,
  );
  expect(run.stdout).toMatch(/^post-dial delay:\s+p50 \d+ ms, p95 \d+ ms/m);
  expect(run.stdout).toMatch(/^from \/metrics:\s+30 outcomes counted by the 2 workers$/m);
  expect(run.stderr).toContain('imported and dialing');
  expect(run.stderr).toMatch(/\[#{24}\] 100% 30\/30/);
}

/** Every pid the demo says it stopped is gone, and its temporary directory too. */
function checkCleanedUp(stderr: string): number[] {
  const line = stderr.split('\n').find((l) => l.startsWith('demo: cleaned up:')) ?? '';
  expect(line).not.toContain('could not clean up');
  const pids = [
    ...(/workers pids (\d+) (\d+)/.exec(line)?.slice(1) ?? []),
    /sipp pid (\d+)/.exec(line)?.[1],
    /redis-server pid (\d+)/.exec(line)?.[1],
  ]
    .filter((p): p is string => p !== undefined)
    .map(Number);
  expect(pids.length, line).toBeGreaterThanOrEqual(3);
  for (const pid of pids) expect(alive(pid), `pid ${pid} still running`).toBe(false);
  const dir = /removed (\S+)/.exec(line)?.[1];
  expect(dir).toMatch(/dialer-demo-/);
  expect(existsSync(dir!)).toBe(false);
  return pids;
}

describe('npm run demo', () => {
  it('starts its own Redis, carrier and two workers, dials 30 numbers, prints the table, leaves nothing running', async () => {
    const run = await runDemo({ DEMO_REDIS: 'private' });
    checkReport(run);
    expect(run.stderr).toMatch(/started a private redis-server on port \d+/);
    const pids = checkCleanedUp(run.stderr);
    expect(pids).toHaveLength(4);
  }, 120_000);

  it('uses the Redis at REDIS_URL and deletes its keys afterwards', async () => {
    const run = await runDemo({ REDIS_URL: redisUrl });
    checkReport(run);
    const prefix = /keys under (\{demo-[0-9a-f]+\})/.exec(run.stderr)?.[1];
    expect(prefix).toBeDefined();
    checkCleanedUp(run.stderr);
    const redis = new Redis(redisUrl);
    try {
      // The trunks' keys are under tags of their own: `{demo-…:t:<trunk>}`.
      expect(await redis.keys(`${prefix}*`)).toEqual([]);
      expect(await redis.keys(`${(prefix ?? '').slice(0, -1)}:t:*`)).toEqual([]);
    } finally {
      await redis.quit();
    }
  }, 120_000);
});
