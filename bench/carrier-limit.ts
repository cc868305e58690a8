/**
 * Does the pace find a carrier's real calls-per-second limit? A trunk configured at `--cps`
 * (default 20) dials a carrier that takes at most `--carrier-cps` (default 5) INVITEs in any
 * sliding second and answers the rest 503 "CPS Limit Exceeded", Retry-After: 1
 * (test/helpers/cps-limited-carrier.ts in front of a `sipp -sn uas` that answers what is let
 * through). A real DialerWorker (in this process) dials a backlog large enough that the pace,
 * not the queue, is the limit, for `--seconds` (default 40) from the first INVITE.
 *
 * Run twice in one go: with the ceiling learned (the default), and the baseline with
 * `learnCarrierLimit: false` (halve on each 503, ramp back by 10 % of the cap per second).
 * Figures are counted by the carrier: accepted INVITEs per second after the first 10 s, the share
 * of INVITEs answered 503, and the slowest 5 s window after 10 s.
 *
 * Needs sipp (or SIPP=) and a Redis (REDIS_URL, default redis://127.0.0.1:6379; a fresh key
 * prefix, deleted at the end).
 *
 * Run: npx tsx bench/carrier-limit.ts [--seconds S] [--cps C] [--carrier-cps L] [--skip-baseline]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import dgram from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { parseConfig } from '../src/config/load-config.js';
import { DialerClient } from '../src/jobs/dialer-client.js';
import { DialerKeys } from '../src/kernel/dialer-keys.js';
import { silentLogger } from '../src/log/create-logger.js';
import { DialerWorker } from '../src/workers/dialer-worker.js';
import { TrunkLimiter } from '../src/workers/trunk-limiter.js';
import { CpsLimitedCarrier, type CarrierInvite } from '../test/helpers/cps-limited-carrier.js';
import { machineLine } from './helpers/machine-line.js';

const HOST = '127.0.0.1';
const SIPP = process.env.SIPP ?? '/usr/bin/sipp';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const TRUNK = 'carrier';
/** The start of the run that is not judged: the pace has this long to find the limit. */
const SETTLE_MS = 10_000;
const WINDOW_MS = 5_000;

interface Options {
  readonly seconds: number;
  readonly cps: number;
  readonly carrierCps: number;
  readonly skipBaseline: boolean;
}

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '40' },
      cps: { type: 'string', default: '20' },
      'carrier-cps': { type: 'string', default: '5' },
      'skip-baseline': { type: 'boolean', default: false },
    },
  });
  const positive = (name: string, raw: string | undefined): number => {
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got ${raw}`);
    return n;
  };
  const seconds = positive('seconds', values.seconds);
  if (seconds * 1000 <= SETTLE_MS + WINDOW_MS)
    throw new Error(`--seconds must be more than ${(SETTLE_MS + WINDOW_MS) / 1000}, got ${seconds}`);
  return {
    seconds,
    cps: positive('cps', values.cps),
    carrierCps: positive('carrier-cps', values['carrier-cps']),
    skipBaseline: values['skip-baseline'],
  };
}

async function freeUdpPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  const port = await new Promise<number>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, HOST, () => resolve(socket.address().port));
  });
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

async function udpTaken(port: number): Promise<boolean> {
  const probe = dgram.createSocket('udp4');
  return new Promise((resolve) => {
    probe.once('error', () => resolve(true));
    probe.bind({ address: HOST, port, exclusive: true }, () => probe.close(() => resolve(false)));
  });
}

async function startUas(cwd: string): Promise<{ child: ChildProcess; port: number }> {
  const port = await freeUdpPort();
  const child = spawn(SIPP, ['-sn', 'uas', '-i', HOST, '-p', String(port), '-t', 'u1', '-nostdin'], {
    cwd,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));
  const deadline = performance.now() + 10_000;
  while (!(await udpTaken(port))) {
    if (child.exitCode !== null) throw new Error(`sipp uas exited with ${child.exitCode}: ${stderr}`);
    if (performance.now() > deadline) throw new Error(`sipp uas not bound to ${port} within 10 s: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return { child, port };
}

function workerYaml(o: { proxy: string; prefix: string; cps: number; learn: boolean }): string {
  const rtpBase = 40000 + 2 * Math.floor(Math.random() * 4000);
  return `redis: ${REDIS_URL}
queuePrefix: "${o.prefix}"
sip: { listen: ${HOST}:0, transport: udp }
media: { address: ${HOST}, ports: ${rtpBase}-${rtpBase + 199} }
trunks:
  - name: ${TRUNK}
    proxy: ${o.proxy}
    domain: ${HOST}
    defaultCountry: BR
    dialFormats: [e164]
    cps: ${o.cps}
    maxChannels: 40
    learnCarrierLimit: ${o.learn}
defaults:
  ringTimeout: 5s
  maxCallLength: 10s
  maxAttempts: 100
  retryDelays: { busy: 1s, noAnswer: 1s, carrierError: 1s }
shutdown: { grace: 2s }
log: { level: warn }
`;
}

interface RunResult {
  readonly mode: 'learn' | 'halve';
  readonly invites: number;
  readonly refused: number;
  readonly refusedPct: number;
  readonly invitesAfterSettle: number;
  readonly refusedPctAfterSettle: number;
  readonly callsPerSecondAfterSettle: number;
  readonly slowestWindowCallsPerSecond: number;
  readonly finalPaceCps: number;
  readonly learnedCeilingCps: number | null;
  /** Pace sampled every second from the first INVITE, fleet-wide (cps). */
  readonly paceTrace: readonly number[];
  readonly ceilingTrace: readonly (number | null)[];
}

/** Counts the carrier's INVITEs from `t0` on: overall, after the settle time, per 5 s window. */
function summarize(
  invites: readonly CarrierInvite[],
  t0: number,
  durationMs: number,
): Omit<RunResult, 'mode' | 'finalPaceCps' | 'learnedCeilingCps' | 'paceTrace' | 'ceilingTrace'> {
  const inRun = invites.filter((i) => i.at >= t0 && i.at < t0 + durationMs);
  const late = inRun.filter((i) => i.at >= t0 + SETTLE_MS);
  const refused = inRun.filter((i) => !i.accepted).length;
  const lateRefused = late.filter((i) => !i.accepted).length;
  const windows: number[] = [];
  for (let start = t0 + SETTLE_MS; start + WINDOW_MS <= t0 + durationMs; start += WINDOW_MS) {
    const ok = late.filter((i) => i.accepted && i.at >= start && i.at < start + WINDOW_MS).length;
    windows.push((ok * 1000) / WINDOW_MS);
  }
  return {
    invites: inRun.length,
    refused,
    refusedPct: inRun.length === 0 ? 0 : (100 * refused) / inRun.length,
    invitesAfterSettle: late.length,
    refusedPctAfterSettle: late.length === 0 ? 0 : (100 * lateRefused) / late.length,
    callsPerSecondAfterSettle: ((late.length - lateRefused) * 1000) / (durationMs - SETTLE_MS),
    slowestWindowCallsPerSecond: Math.min(...windows),
  };
}

async function run(mode: 'learn' | 'halve', options: Options, uasPort: number): Promise<RunResult> {
  const durationMs = options.seconds * 1000;
  const carrier = await CpsLimitedCarrier.start({ target: `${HOST}:${uasPort}`, limit: options.carrierCps });
  const prefix = `{bench-${randomUUID().slice(0, 8)}}`;
  const config = parseConfig(
    workerYaml({ proxy: carrier.uri, prefix, cps: options.cps, learn: mode === 'learn' }),
    {},
  );
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const client = new DialerClient({ redis: REDIS_URL, prefix });
  const observer = new TrunkLimiter({
    redis,
    keys: new DialerKeys(prefix),
    trunk: TRUNK,
    cps: options.cps,
    maxChannels: 1,
  });
  let worker: DialerWorker | undefined;
  try {
    // The worker publishes its trunks; the client checks jobs against them.
    worker = await DialerWorker.start({ config, logger: silentLogger() });
    // More than the configured pace could dial in the run: the backlog never runs dry.
    const jobs = Math.ceil(options.cps * options.seconds * 1.2);
    const results = await client.enqueueMany(
      Array.from({ length: jobs }, (_, i) => ({
        number: `+55349840${String(i).padStart(5, '0')}`,
        script: { hangupAfterMs: 0 },
      })),
    );
    const failed = results.filter((r) => !r.ok);
    if (failed.length > 0)
      throw new Error(`${failed.length} of ${jobs} jobs were not enqueued: ${JSON.stringify(failed[0])}`);
    const started = performance.now();
    while (carrier.invites.length === 0) {
      if (performance.now() - started > 15_000) throw new Error('no INVITE reached the carrier within 15 s');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const t0 = carrier.invites[0]!.at;
    const paceTrace: number[] = [];
    const ceilingTrace: (number | null)[] = [];
    for (let s = 1; performance.now() < t0 + durationMs; s++) {
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, t0 + s * 1000 - performance.now())));
      const state = await observer.paceState();
      paceTrace.push(state.cps);
      ceilingTrace.push(state.ceiling ?? null);
    }
    const pace = await observer.paceState();
    await worker.close(2000);
    worker = undefined;
    return {
      mode,
      ...summarize(carrier.invites, t0, durationMs),
      finalPaceCps: pace.cps,
      learnedCeilingCps: pace.ceiling ?? null,
      paceTrace,
      ceilingTrace,
    };
  } finally {
    await worker?.close(0);
    observer.close();
    await client.close();
    await deletePrefix(redis, prefix);
    redis.disconnect();
    await carrier.close();
  }
}

async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  for (const pattern of new DialerKeys(prefix).patterns) {
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (found.length > 0) await redis.del(...found);
    } while (cursor !== '0');
  }
}

const fixed = (n: number | null, digits = 2): string => (n === null ? '–' : n.toFixed(digits));

async function main(): Promise<void> {
  const options = readOptions();
  console.log(`command: npx tsx bench/carrier-limit.ts ${process.argv.slice(2).join(' ')}`.trimEnd());
  console.log(`machine: ${machineLine()}`);
  console.log(
    `trunk cps ${options.cps}, carrier limit ${options.carrierCps} INVITEs per sliding second ` +
      `(503 CPS Limit Exceeded, Retry-After: 1), ${options.seconds} s per run, judged after ${SETTLE_MS / 1000} s`,
  );
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'bench-carrier-limit-'));
  const uas = await startUas(cwd);
  const onSignal = (): void => {
    uas.child.kill('SIGKILL');
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  const runs: RunResult[] = [];
  try {
    runs.push(await run('learn', options, uas.port));
    if (!options.skipBaseline) runs.push(await run('halve', options, uas.port));
  } finally {
    uas.child.kill('SIGTERM');
    await rm(cwd, { recursive: true, force: true });
  }

  const label = (mode: RunResult['mode']): string =>
    mode === 'learn' ? 'learned ceiling (new)' : 'halve on 503 (baseline)';
  console.log('');
  console.log(
    `${'pace'.padEnd(26)}${'configured'.padStart(11)}${'carrier'.padStart(9)}${'calls/s >10s'.padStart(14)}` +
      `${'slowest 5s'.padStart(12)}${'503 % >10s'.padStart(12)}${'503 % all'.padStart(11)}${'INVITEs'.padStart(9)}` +
      `${'pace end'.padStart(10)}${'ceiling'.padStart(9)}`,
  );
  for (const r of runs) {
    console.log(
      `${label(r.mode).padEnd(26)}${fixed(options.cps, 1).padStart(11)}${fixed(options.carrierCps, 1).padStart(9)}` +
        `${fixed(r.callsPerSecondAfterSettle).padStart(14)}${fixed(r.slowestWindowCallsPerSecond).padStart(12)}` +
        `${fixed(r.refusedPctAfterSettle, 1).padStart(12)}${fixed(r.refusedPct, 1).padStart(11)}` +
        `${String(r.invites).padStart(9)}${fixed(r.finalPaceCps).padStart(10)}${fixed(r.learnedCeilingCps).padStart(9)}`,
    );
  }
  for (const r of runs) {
    console.log(`pace each second, ${r.mode}: ${r.paceTrace.map((p) => p.toFixed(2)).join(' ')}`);
    if (r.mode === 'learn')
      console.log(`learned ceiling each second: ${r.ceilingTrace.map((c) => fixed(c)).join(' ')}`);
  }
  const learned = runs.find((r) => r.mode === 'learn')!;
  const goalMet = learned.callsPerSecondAfterSettle >= 4.5 && learned.refusedPctAfterSettle < 2;
  console.log(
    `goal (issue 10 §3): >= 4.5 calls/s after the first 10 s and 503s under 2 % of INVITEs: ${goalMet ? 'met' : 'NOT met'}`,
  );
  console.log(`machine after the run: ${machineLine()}`);
  console.log(
    `BENCH_RESULT ${JSON.stringify({
      configuredCps: options.cps,
      carrierCps: options.carrierCps,
      seconds: options.seconds,
      learned,
      baseline: runs.find((r) => r.mode === 'halve') ?? null,
      goalMet,
    })}`,
  );
}

await main();
