import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freshRedis, type FreshRedis } from './fresh-redis.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/hammer-trunk.ts', import.meta.url));

let env: FreshRedis;

beforeEach(() => {
  env = freshRedis();
});

afterEach(async () => {
  await env.cleanup();
});

interface Hammer {
  readonly ready: Promise<void>;
  readonly result: Promise<unknown>;
}

/** Starts one stand-in worker process (fixtures/hammer-trunk.ts) on the test's Redis and prefix. */
function hammer(args: Record<string, unknown>): Hammer {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      FIXTURE,
      JSON.stringify({ redisUrl: env.url, prefix: env.prefix, trunk: 'carrier', ...args }),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  let onReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    if (stdout.startsWith('ready\n')) onReady();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const result = new Promise<unknown>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      const last = stdout.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || !last.startsWith('{'))
        reject(new Error(`hammer exited ${code}:\n${stderr}\n${stdout}`));
      else resolve(JSON.parse(last));
    });
  });
  // A child that dies before `ready` must fail the test, not hang it.
  void result.catch(() => onReady());
  return { ready, result };
}

/** Starts both processes at once: each waits on a BLPOP token once connected. */
async function runTogether(hammers: Hammer[]): Promise<unknown[]> {
  await Promise.all(hammers.map((h) => h.ready));
  await env.connect().rpush(`${env.prefix}:test:go`, ...hammers.map(() => 'go'));
  return Promise.all(hammers.map((h) => h.result));
}

/** Most grants in any window [t, t + 1000) of the Redis clock. */
function maxInAnySecond(sorted: number[]): number {
  let max = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while (sorted[end]! - sorted[start]! >= 1_000) start++;
    max = Math.max(max, end - start + 1);
  }
  return max;
}

describe('per-trunk limits across two worker processes', () => {
  it('the calls-per-second cap holds for the fleet, and the fleet is not starved', async () => {
    const cps = 20;
    const burst = 5;
    const [a, b] = (await runTogether([
      hammer({ mode: 'starts', cps, burst, maxChannels: 1, durationMs: 3_000 }),
      hammer({ mode: 'starts', cps, burst, maxChannels: 1, durationMs: 3_000 }),
    ])) as { grants: number[]; denied: number }[];
    expect(a!.grants.length).toBeGreaterThan(0);
    expect(b!.grants.length).toBeGreaterThan(0);
    const all = [...a!.grants, ...b!.grants].sort((x, y) => x - y);

    // GCRA bound: in any second, at most cps + burst - 1 starts (below the cap + burst asked for).
    expect(maxInAnySecond(all)).toBeLessThanOrEqual(cps + burst - 1);

    // Near the cap in every whole second both processes were hammering (Redis clock windows).
    const from = Math.max(a!.grants[0]!, b!.grants[0]!);
    const to = Math.min(a!.grants.at(-1)!, b!.grants.at(-1)!);
    const windows: number[] = [];
    for (let start = from; start + 1_000 <= to; start += 1_000) {
      windows.push(all.filter((t) => t >= start && t < start + 1_000).length);
    }
    expect(windows.length).toBeGreaterThanOrEqual(1);
    for (const count of windows) expect(count).toBeGreaterThanOrEqual(cps - 2);
    // Both processes took part: each was refused sometimes, because the other took the slot.
    expect(a!.denied + b!.denied).toBeGreaterThan(0);
  });

  it('the channel cap holds for the fleet under contention', async () => {
    const maxChannels = 3;
    const [a, b] = (await runTogether([
      hammer({ mode: 'channels', cps: 1, burst: 1, maxChannels, durationMs: 2_000, holdMs: 15 }),
      hammer({ mode: 'channels', cps: 1, burst: 1, maxChannels, durationMs: 2_000, holdMs: 15 }),
    ])) as { acquired: number; denied: number; maxHolders: number }[];
    // Six slots compete for three channels: the witness counter never sees more than three holders.
    expect(Math.max(a!.maxHolders, b!.maxHolders)).toBeLessThanOrEqual(maxChannels);
    expect(Math.max(a!.maxHolders, b!.maxHolders)).toBe(maxChannels);
    expect(a!.acquired).toBeGreaterThan(0);
    expect(b!.acquired).toBeGreaterThan(0);
    expect(a!.denied + b!.denied).toBeGreaterThan(0);
    expect(await env.connect().zcard(env.keys.trunkLimiter('carrier').channels)).toBe(0);
  });
});
