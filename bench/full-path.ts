/**
 * The whole dialer path against one sipp UAS, next to the bare SIP engine against the same UAS in
 * the same run:
 *
 * - bare engine: N calls (INVITE → 180 → 200 → ACK → BYE → 200) from the engine the worker config
 *   builds, with C in flight, in this process;
 * - full path: a private redis-server, one `dialer worker` child process (trunk cps 10 000, C
 *   channels, concurrency C), N calls enqueued with `enqueueMany` (`script.hangupAfterMs: 0`:
 *   answered, then BYE at once), every outcome read from the outcomes stream;
 * - dequeue → INVITE: BullMQ's `processedOn` of each job against its answered attempt's
 *   `inviteSentAt` (both `Date.now()` in the worker process, so whole milliseconds).
 *
 * The worker runs as a child process because that is how it runs in production, and so the CPU
 * of this process (enqueueing, reading outcomes) is not billed to the worker, nor the other way.
 *
 * - paced: then calls enqueued one by one at half that rate, so the worker is not saturated and
 *   dequeue → INVITE is the path's own latency rather than queueing behind C calls.
 *
 * - where the Redis commands go: then B more calls with C in flight under MONITOR (which costs
 *   Redis CPU, so no CPU is measured then), each command billed to the script that ran it.
 *
 * Run: npx tsx bench/full-path.ts [--calls N] [--concurrency C] [--warmup W]
 *        [--paced-calls P] [--paced-rate R] [--breakdown-calls B] [--worker-prof DIR]
 * `--worker-prof DIR` runs the worker under `node --cpu-prof --cpu-prof-dir DIR`.
 */
import dgram from 'node:dgram';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { parseConfig } from '../src/config/load-config.js';
import type { CallOutcome } from '../src/jobs/call-outcome.js';
import { DialerClient } from '../src/jobs/dialer-client.js';
import { silentLogger } from '../src/log/create-logger.js';
import type { RedisConnection } from '../src/redis/index.js';
import { createSipEngine } from '../src/sip/create-sip-engine.js';
import type { SipEngine } from '../src/sip/engine.js';
import { SipFailure } from '../src/sip/index.js';
import type { SipTrunk } from '../src/sip/sip-trunk.js';
// Loaded for its Lua scripts' names (LuaScript.nameOf), which the command breakdown prints.
import '../src/workers/index.js';
import {
  bullmqScriptNames,
  CommandSampler,
  formatCommandSample,
  sampledCommands,
  type CommandSample,
} from './helpers/redis-command-sampler.js';
import { startChild, stopChild, type BenchChild as Child } from './helpers/bench-child.js';
import { machineLine } from './helpers/machine-line.js';
import { processCpuSeconds } from './helpers/process-cpu-seconds.js';

const SIPP = process.env.SIPP ?? '/usr/bin/sipp';
const REDIS_SERVER = process.env.REDIS_SERVER ?? 'redis-server';
const HOST = '127.0.0.1';
const TRUNK = 'bench';
const MAIN = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
/** Goals from the issue. */
const GOAL = {
  ratio: 0.5,
  dequeueToInviteP99Ms: 5,
  redisCommandsPerCall: 30,
  redisCpuUsPerCall: 250,
} as const;

interface Options {
  readonly calls: number;
  readonly concurrency: number;
  readonly warmup: number;
  readonly workerProf: string | undefined;
  /** Calls of the paced phase (0 skips it); undefined: 3 s worth at the paced rate, at least 100. */
  readonly pacedCalls: number | undefined;
  /** calls/s of the paced phase; undefined: half the saturated full-path rate. */
  readonly pacedRate: number | undefined;
  /** Calls of the MONITOR phase that bills each command to its script (0 skips it). */
  readonly breakdownCalls: number;
}

interface Percentiles {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      calls: { type: 'string', default: '5000' },
      concurrency: { type: 'string', default: '50' },
      warmup: { type: 'string', default: '200' },
      'worker-prof': { type: 'string' },
      'paced-calls': { type: 'string' },
      'paced-rate': { type: 'string' },
      'breakdown-calls': { type: 'string', default: '100' },
    },
    strict: true,
  });
  const integer = (name: string, raw: string, min: number): number => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min)
      throw new Error(`--${name} must be an integer ≥ ${min}, got ${JSON.stringify(raw)}`);
    return value;
  };
  return {
    calls: integer('calls', values.calls, 1),
    concurrency: integer('concurrency', values.concurrency, 1),
    warmup: integer('warmup', values.warmup, 0),
    workerProf: values['worker-prof'],
    pacedCalls:
      values['paced-calls'] === undefined ? undefined : integer('paced-calls', values['paced-calls'], 0),
    pacedRate:
      values['paced-rate'] === undefined ? undefined : integer('paced-rate', values['paced-rate'], 1),
    breakdownCalls: integer('breakdown-calls', values['breakdown-calls'], 0),
  };
}

// ---------------------------------------------------------------- ports and processes

/** A port free for both UDP and TCP on HOST. */
async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const udp = dgram.createSocket('udp4');
    const port = await new Promise<number>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(0, HOST, () => resolve(udp.address().port));
    });
    const tcpFree = await new Promise<boolean>((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(false));
      server.listen(port, HOST, () => server.close(() => resolve(true)));
    });
    await new Promise<void>((resolve) => udp.close(() => resolve()));
    if (tcpFree) return port;
  }
  throw new Error('no port free for both UDP and TCP after 20 attempts');
}

async function udpTaken(port: number): Promise<boolean> {
  const probe = dgram.createSocket('udp4');
  return new Promise((resolve) => {
    probe.once('error', () => resolve(true));
    probe.bind({ address: HOST, port, exclusive: true }, () => probe.close(() => resolve(false)));
  });
}

async function waitFor(
  what: string,
  child: Child,
  ready: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (child.process.exitCode !== null)
      throw new Error(`${what} exited with ${child.process.exitCode}: ${child.output()}`);
    if (await ready().catch(() => false)) return;
    if (performance.now() > deadline)
      throw new Error(`${what} not ready within ${timeoutMs} ms: ${child.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function startUas(port: number, cwd: string): Promise<Child> {
  const uas = startChild(SIPP, ['-sn', 'uas', '-i', HOST, '-p', String(port), '-t', 'u1', '-nostdin'], {
    cwd,
  });
  try {
    await waitFor('sipp uas', uas, () => udpTaken(port), 5000);
  } catch (error) {
    await stopChild(uas);
    throw error;
  }
  return uas;
}

async function startRedis(port: number, cwd: string): Promise<Child> {
  const server = startChild(
    REDIS_SERVER,
    ['--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no', '--dir', cwd],
    { cwd },
  );
  const ping = async (): Promise<boolean> => {
    const client = new Redis({
      host: HOST,
      port,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return (await client.ping()) === 'PONG';
    } finally {
      client.disconnect();
    }
  };
  try {
    await waitFor('redis-server', server, ping, 5000);
  } catch (error) {
    await stopChild(server);
    throw error;
  }
  return server;
}

// ---------------------------------------------------------------- figures

function percentiles(samples: number[]): Percentiles | undefined {
  if (samples.length === 0) return undefined;
  const sorted = Float64Array.from(samples).sort();
  const at = (p: number): number =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? Number.NaN;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted[sorted.length - 1] ?? Number.NaN };
}

const fixed = (value: number | undefined, digits = 0): string =>
  value === undefined || Number.isNaN(value) ? '–' : value.toFixed(digits);

// ---------------------------------------------------------------- config

function workerYaml(o: { redisPort: number; uasPort: number; prefix: string; concurrency: number }): string {
  // Two ports per call (RTP + RTCP), with room to spare; a random base so parallel runs rarely clash.
  const size = 4 * o.concurrency + 20;
  const rtpBase = 40000 + 2 * Math.floor(Math.random() * ((20000 - size) / 2));
  return `redis: redis://${HOST}:${o.redisPort}
queuePrefix: "${o.prefix}"
sip: { listen: ${HOST}:0, transport: udp }
media: { address: ${HOST}, ports: ${rtpBase}-${rtpBase + size - 1} }
trunks:
  - name: ${TRUNK}
    proxy: ${HOST}:${o.uasPort}
    domain: ${HOST}
    defaultCountry: BR
    dialFormats: [e164]
    cps: 10000
    maxChannels: ${o.concurrency}
    concurrency: ${o.concurrency}
defaults:
  ringTimeout: 5s
  maxCallLength: 10s
  maxAttempts: 1
shutdown: { grace: 2s }
log: { level: warn }
`;
}

// ---------------------------------------------------------------- bare engine

const SDP = [
  'v=0',
  `o=- 1 1 IN IP4 ${HOST}`,
  's=-',
  `c=IN IP4 ${HOST}`,
  't=0 0',
  'm=audio 20000 RTP/AVP 0 8 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-15',
  'a=ptime:20',
  'a=sendrecv',
  '',
].join('\r\n');

interface BareResult {
  readonly ok: number;
  readonly failed: number;
  readonly wallMs: number;
  readonly callsPerSecond: number;
  readonly cpuUsPerCall: number;
  readonly failures: Map<string, number>;
}

async function callPool(
  engine: SipEngine,
  trunk: SipTrunk,
  calls: number,
  concurrency: number,
): Promise<{ ok: number; failures: Map<string, number> }> {
  const failures = new Map<string, number>();
  let ok = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < calls) {
      const n = next;
      next += 1;
      try {
        const leg = await engine.invite({
          trunk,
          uri: `sip:${100000 + n}@${HOST}`,
          sdp: SDP,
          ringTimeoutMs: 5000,
        });
        const end = await leg.hangup();
        if (end.by === 'local') ok += 1;
        else failures.set(`ended by ${end.by}`, (failures.get(`ended by ${end.by}`) ?? 0) + 1);
      } catch (error) {
        const key = error instanceof SipFailure ? `${error.status} ${error.reason}` : String(error);
        failures.set(key, (failures.get(key) ?? 0) + 1);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, calls) }, worker));
  return { ok, failures };
}

async function runBare(options: Options, yaml: string): Promise<BareResult> {
  // The engine the worker builds from the same config, on its own port.
  const config = parseConfig(yaml, {});
  const engine = createSipEngine(config, { logger: silentLogger(), listen: { host: HOST, port: 0 } });
  const trunk = config.trunks[0];
  if (!trunk) throw new Error('the bench config has no trunk');
  await engine.start();
  try {
    if (options.warmup > 0) await callPool(engine, trunk, options.warmup, options.concurrency);
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const pool = await callPool(engine, trunk, options.calls, options.concurrency);
    const wallMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    return {
      ok: pool.ok,
      failed: options.calls - pool.ok,
      wallMs,
      callsPerSecond: (pool.ok / wallMs) * 1000,
      cpuUsPerCall: (cpu.user + cpu.system) / options.calls,
      failures: pool.failures,
    };
  } finally {
    await engine.close();
  }
}

// ---------------------------------------------------------------- full path

/** dequeue → INVITE and its two parts, ms (whole ms: both ends are `Date.now()` in the worker). */
interface DequeueLatency {
  /** processedOn → inviteSentAt. */
  readonly total: Percentiles | undefined;
  /** processedOn → attempt record created: the gate's checks (campaign, DNC, circuit, pace, channel). */
  readonly gate: Percentiles | undefined;
  /** attempt record created → INVITE sent: the fence, the RTP lease and SDP, the request. */
  readonly fence: Percentiles | undefined;
}

interface FullResult {
  readonly ok: number;
  readonly failed: number;
  readonly statuses: Map<string, number>;
  readonly enqueueMs: number;
  /** First enqueue → last outcome read. */
  readonly wallMs: number;
  /** Enqueue resolved → last outcome read. */
  readonly afterEnqueueMs: number;
  readonly callsPerSecond: number;
  readonly callsPerSecondAfterEnqueue: number;
  /** With C calls in flight and a backlog: the worker is saturated, so this is mostly queueing. */
  readonly saturated: DequeueLatency;
  /** CPU per call, µs, over the measured phase (first enqueue → last outcome). */
  readonly cpuUsPerCall: { worker: number; redis: number; sipp: number; bench: number };
  /** redis-server CPU per call, µs, from its own `INFO cpu` (finer than /proc's clock ticks). */
  readonly redisInfoCpuUsPerCall: number;
  /**
   * µs per call the server spent in Lua scripts (commandstats usec of EVALSHA and EVAL): elapsed
   * time, so on a loaded machine it counts time the server was descheduled, and can pass INFO cpu.
   */
  readonly redisScriptUsPerCall: number;
  /** Redis commands per call over the measured phase (Lua scripts' inner calls included), by command. */
  readonly redisCommandsPerCall: Map<string, number>;
  /** Calls enqueued one by one at a fixed rate below saturation; undefined when skipped. */
  readonly paced:
    | { readonly calls: number; readonly rate: number; readonly ok: number; readonly latency: DequeueLatency }
    | undefined;
  /** Where the commands of B more calls went, from MONITOR; undefined when skipped. */
  readonly breakdown: { readonly calls: number; readonly sample: CommandSample } | undefined;
}

/** redis-server's own CPU seconds so far (`INFO cpu`: used_cpu_sys + used_cpu_user). */
async function redisCpuSeconds(redis: RedisConnection): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string): number => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1]);
  return field('used_cpu_sys') + field('used_cpu_user');
}

/** `INFO commandstats` as command → calls, and the µs the server spent in each (`usec`). */
async function commandCounts(
  redis: RedisConnection,
): Promise<Map<string, number> & { readonly usec: Map<string, number> }> {
  const counts = Object.assign(new Map<string, number>(), { usec: new Map<string, number>() });
  for (const match of (await redis.info('commandstats')).matchAll(
    /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm,
  )) {
    counts.set(match[1] ?? '', Number(match[2]));
    counts.usec.set(match[1] ?? '', Number(match[3]));
  }
  return counts;
}

/** Reads the outcomes stream from the start, collecting the outcomes of the jobs it is told about. */
class OutcomeReader {
  readonly #redis: Redis;
  readonly #stream: string;
  #lastId = '0-0';
  readonly #seen = new Map<string, CallOutcome>();

  constructor(redis: Redis, stream: string) {
    this.#redis = redis;
    this.#stream = stream;
  }

  /** Resolves when every id in `ids` has an outcome, with the time the last one was read. */
  async waitAll(ids: readonly string[], worker: Child, timeoutMs: number): Promise<Map<string, CallOutcome>> {
    const wanted = new Set(ids);
    const found = new Map<string, CallOutcome>();
    for (const id of ids) {
      const seen = this.#seen.get(id);
      if (seen) {
        found.set(id, seen);
        wanted.delete(id);
      }
    }
    const deadline = performance.now() + timeoutMs;
    while (wanted.size > 0) {
      if (worker.process.exitCode !== null)
        throw new Error(`worker exited with ${worker.process.exitCode}: ${worker.output()}`);
      if (performance.now() > deadline)
        throw new Error(`${wanted.size} outcomes still missing after ${timeoutMs} ms: ${worker.output()}`);
      const reply = (await this.#redis.xread(
        'COUNT',
        1000,
        'BLOCK',
        1000,
        'STREAMS',
        this.#stream,
        this.#lastId,
      )) as Array<[string, Array<[string, string[]]>]> | null;
      for (const [, entries] of reply ?? []) {
        for (const [id, fields] of entries) {
          this.#lastId = id;
          const json = fields[fields.indexOf('outcome') + 1];
          if (json === undefined) continue;
          const outcome = JSON.parse(json) as CallOutcome;
          this.#seen.set(outcome.jobId, outcome);
          if (wanted.delete(outcome.jobId)) found.set(outcome.jobId, outcome);
        }
      }
    }
    return found;
  }
}

/** processedOn (when the worker moved the job to active) against the answered attempt's timestamps. */
async function dequeueLatency(
  client: DialerClient,
  ids: readonly string[],
  found: ReadonlyMap<string, CallOutcome>,
): Promise<DequeueLatency> {
  const pipeline = client.redis.pipeline();
  for (const id of ids) pipeline.hget(`${client.keys.queueKey(TRUNK)}:${id}`, 'processedOn');
  // A job hash already removed (removeOnComplete) has no processedOn: left out, not read as 0.
  const processedOn = ((await pipeline.exec()) ?? []).map(([, value]) =>
    value === null || value === undefined ? Number.NaN : Number(value),
  );
  const total: number[] = [];
  const gate: number[] = [];
  const fence: number[] = [];
  ids.forEach((id, i) => {
    const answered = found.get(id)?.attempts.find((a) => a.sipCode === 200 && a.inviteSentAt !== undefined);
    const dequeued = processedOn[i];
    if (answered?.inviteSentAt === undefined || dequeued === undefined || !Number.isFinite(dequeued)) return;
    total.push(answered.inviteSentAt - dequeued);
    gate.push(answered.startedAt - dequeued);
    fence.push(answered.inviteSentAt - answered.startedAt);
  });
  return { total: percentiles(total), gate: percentiles(gate), fence: percentiles(fence) };
}

async function runFullPath(
  options: Options,
  parts: { yaml: string; prefix: string; redisPort: number; cwd: string; uas: Child; redis: Child },
): Promise<FullResult> {
  const configFile = path.join(parts.cwd, 'dialer.yaml');
  await writeFile(configFile, parts.yaml);
  const nodeArgs = options.workerProf ? ['--cpu-prof', '--cpu-prof-dir', options.workerProf] : [];
  const worker = startChild(
    process.execPath,
    [...nodeArgs, '--import', 'tsx', MAIN, 'worker', '--config', configFile],
    { cwd: process.cwd(), env: { ...process.env, LOG_LEVEL: 'warn' } },
  );
  const redisUrl = `redis://${HOST}:${parts.redisPort}`;
  const client = new DialerClient({
    redis: redisUrl,
    prefix: parts.prefix,
    trunks: [{ name: TRUNK, domain: HOST, defaultCountry: 'BR' }],
  });
  const reader = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const outcomes = new OutcomeReader(reader, client.keys.outcomes);
  try {
    await waitFor(
      'dialer worker',
      worker,
      async () => (await client.queue(TRUNK).getWorkersCount()) > 0,
      30_000,
    );
    let serial = 0;
    const batch = (
      count: number,
    ): Array<{ number: string; trunk: string; script: { hangupAfterMs: number } }> =>
      Array.from({ length: count }, () => {
        serial += 1;
        // +55 34 984xx-xxxx: distinct, valid Brazilian mobiles.
        return {
          number: `+5534984${String(serial).padStart(6, '0')}`,
          trunk: TRUNK,
          script: { hangupAfterMs: 0 },
        };
      });
    const enqueue = async (count: number): Promise<string[]> => {
      const results = await client.enqueueMany(batch(count));
      return results.map((r) => {
        if (!r.ok) throw r.error;
        return r.call.jobId;
      });
    };
    const callTimeoutMs = 60_000 + options.calls * 20;

    if (options.warmup > 0) await outcomes.waitAll(await enqueue(options.warmup), worker, callTimeoutMs);

    const pids = {
      worker: worker.process.pid,
      redis: parts.redis.process.pid,
      sipp: parts.uas.process.pid,
    };
    const cpuBefore = {
      worker: await processCpuSeconds(pids.worker),
      redis: await processCpuSeconds(pids.redis),
      sipp: await processCpuSeconds(pids.sipp),
      bench: process.cpuUsage(),
    };
    const commandsBefore = await commandCounts(client.redis);
    const redisCpuBefore = await redisCpuSeconds(client.redis);
    const started = performance.now();
    const ids = await enqueue(options.calls);
    const enqueued = performance.now();
    const found = await outcomes.waitAll(ids, worker, callTimeoutMs);
    const done = performance.now();
    const benchCpu = process.cpuUsage(cpuBefore.bench);
    const redisCpuAfter = await redisCpuSeconds(client.redis);
    const commandsAfter = await commandCounts(client.redis);
    const redisCommandsPerCall = new Map(
      [...commandsAfter]
        .map(([name, count]) => [name, (count - (commandsBefore.get(name) ?? 0)) / options.calls] as const)
        .filter(([, perCall]) => perCall > 0)
        .sort((a, b) => b[1] - a[1]),
    );
    // A script's usec holds the commands it ran, which are also counted under their own names.
    const scriptUsec = ['evalsha', 'eval'].reduce(
      (sum, name) => sum + (commandsAfter.usec.get(name) ?? 0) - (commandsBefore.usec.get(name) ?? 0),
      0,
    );
    const perCall = (before: number, after: number): number => ((after - before) * 1e6) / options.calls;
    const cpuUsPerCall = {
      worker: perCall(cpuBefore.worker, await processCpuSeconds(pids.worker)),
      redis: perCall(cpuBefore.redis, await processCpuSeconds(pids.redis)),
      sipp: perCall(cpuBefore.sipp, await processCpuSeconds(pids.sipp)),
      bench: (benchCpu.user + benchCpu.system) / options.calls,
    };

    const saturated = await dequeueLatency(client, ids, found);
    const statuses = new Map<string, number>();
    for (const id of ids) {
      const status = found.get(id)?.status ?? 'missing';
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
    const ok = statuses.get('answered') ?? 0;
    const callsPerSecond = (ok / (done - started)) * 1000;

    // Paced: one enqueue at a time on a fixed schedule, well below what the worker can take.
    const rate = options.pacedRate ?? Math.max(1, Math.round(callsPerSecond / 2));
    const pacedCalls = options.pacedCalls ?? Math.max(100, rate * 3);
    let paced: FullResult['paced'];
    if (pacedCalls > 0) {
      const pacedIds: string[] = [];
      const pacedStart = performance.now();
      for (let i = 0; i < pacedCalls; i++) {
        const wait = pacedStart + (i * 1000) / rate - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        pacedIds.push(...(await enqueue(1)));
      }
      const pacedFound = await outcomes.waitAll(pacedIds, worker, callTimeoutMs);
      paced = {
        calls: pacedCalls,
        rate,
        ok: pacedIds.filter((id) => pacedFound.get(id)?.status === 'answered').length,
        latency: await dequeueLatency(client, pacedIds, pacedFound),
      };
    }
    let breakdown: FullResult['breakdown'];
    if (options.breakdownCalls > 0) {
      const names = await bullmqScriptNames({ host: HOST, port: parts.redisPort });
      const sampler = await CommandSampler.start({ host: HOST, port: parts.redisPort }, names);
      try {
        await outcomes.waitAll(await enqueue(options.breakdownCalls), worker, callTimeoutMs);
      } finally {
        breakdown = { calls: options.breakdownCalls, sample: sampler.stop() };
      }
    }
    return {
      ok,
      failed: options.calls - ok,
      statuses,
      enqueueMs: enqueued - started,
      wallMs: done - started,
      afterEnqueueMs: done - enqueued,
      callsPerSecond,
      callsPerSecondAfterEnqueue: (ok / (done - enqueued)) * 1000,
      saturated,
      cpuUsPerCall,
      redisInfoCpuUsPerCall: ((redisCpuAfter - redisCpuBefore) * 1e6) / options.calls,
      redisScriptUsPerCall: scriptUsec / options.calls,
      redisCommandsPerCall,
      paced,
      breakdown,
    };
  } finally {
    reader.disconnect();
    await client.close();
    // A clean exit writes the --cpu-prof profile; allow for the drain and the profile write.
    await stopChild(worker, options.workerProf ? 20_000 : 5000);
  }
}

// ---------------------------------------------------------------- report

async function main(): Promise<void> {
  const options = readOptions();
  console.log(`command: npx tsx bench/full-path.ts ${process.argv.slice(2).join(' ')}`.trimEnd());
  console.log(`machine: ${machineLine()}`);
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'bench-full-path-'));
  const uasPort = await freePort();
  const redisPort = await freePort();
  const prefix = `{bench-${randomUUID().slice(0, 8)}}`;
  const yaml = workerYaml({ redisPort, uasPort, prefix, concurrency: options.concurrency });
  console.log(
    `sipp uas on ${HOST}:${uasPort}/udp, redis-server on ${HOST}:${redisPort}; ${options.calls} calls, ` +
      `${options.concurrency} in flight, warm-up ${options.warmup} calls (not counted) before each phase`,
  );
  const children: Child[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(children.map((child) => stopChild(child)));
  };
  const onSignal = (): void => void stopAll().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  try {
    const uas = await startUas(uasPort, cwd);
    children.push(uas);
    const redis = await startRedis(redisPort, cwd);
    children.push(redis);

    const bare = await runBare(options, yaml);
    console.log(
      `bare engine: ${bare.ok} calls in ${(bare.wallMs / 1000).toFixed(2)} s, CPU ${bare.cpuUsPerCall.toFixed(0)} µs/call (this process)`,
    );
    for (const [reason, count] of bare.failures) console.log(`  failed ×${count}: ${reason}`);

    const full = await runFullPath(options, { yaml, prefix, redisPort, cwd, uas, redis });
    const cpu = full.cpuUsPerCall;
    console.log(
      `full path:   ${full.ok} calls in ${(full.wallMs / 1000).toFixed(2)} s (enqueue ${(full.enqueueMs / 1000).toFixed(2)} s), ` +
        `statuses ${[...full.statuses].map(([s, n]) => `${s} ${n}`).join(', ')}\n` +
        `  CPU µs/call: worker ${fixed(cpu.worker)}, redis-server ${fixed(cpu.redis)} ` +
        `(its INFO cpu: ${fixed(full.redisInfoCpuUsPerCall)}; time in Lua scripts, commandstats usec ` +
        `of EVALSHA, elapsed so inflated on a loaded machine: ${fixed(full.redisScriptUsPerCall)}), sipp ${fixed(cpu.sipp)}, bench process ${fixed(cpu.bench)}`,
    );
    const commands = [...full.redisCommandsPerCall];
    console.log(
      `  redis commands/call: ${commands.reduce((sum, [, n]) => sum + n, 0).toFixed(1)} ` +
        `(${commands.map(([name, n]) => `${name} ${n.toFixed(1)}`).join(', ')})`,
    );
    const spread = (label: string, p: Percentiles | undefined): string =>
      `  ${label}: p50 ${fixed(p?.p50)}  p90 ${fixed(p?.p90)}  p99 ${fixed(p?.p99)}  max ${fixed(p?.max)}`;
    const latencyLines = (title: string, l: DequeueLatency): string =>
      [
        spread(`dequeue → INVITE ms, ${title}`, l.total),
        spread('  of which dequeue → attempt start (gate checks)', l.gate),
        spread('  and attempt start → INVITE (fence, RTP lease, SDP, request)', l.fence),
      ].join('\n');
    console.log(latencyLines(`saturated (${options.concurrency} in flight)`, full.saturated));
    const { paced } = full;
    if (paced) {
      console.log(
        `paced:       ${paced.calls} calls enqueued one by one at ${paced.rate} calls/s, ${paced.ok} answered\n` +
          latencyLines(`paced at ${paced.rate} calls/s`, paced.latency),
      );
    }

    if (full.breakdown) {
      console.log(
        `where the Redis commands go (${full.breakdown.calls} more calls, ${options.concurrency} in flight):`,
      );
      for (const line of formatCommandSample(full.breakdown.sample, full.breakdown.calls)) console.log(line);
    }

    const ratio = full.callsPerSecond / bare.callsPerSecond;
    const ratioAfter = full.callsPerSecondAfterEnqueue / bare.callsPerSecond;
    const s = full.saturated.total;
    const p = paced?.latency.total;
    const rows: Array<[string, string, string]> = [
      [
        'bare engine → sipp uas, calls/s',
        bare.callsPerSecond.toFixed(0),
        `${bare.ok}/${bare.failed} ok/failed`,
      ],
      [
        'full path (first enqueue → last outcome), calls/s',
        full.callsPerSecond.toFixed(0),
        `${full.ok}/${full.failed} ok/failed`,
      ],
      ['full path (enqueue done → last outcome), calls/s', full.callsPerSecondAfterEnqueue.toFixed(0), ''],
      [
        'redis commands per call',
        [...full.redisCommandsPerCall].reduce((sum, [, n]) => sum + n, 0).toFixed(1),
        `goal ≤ ${GOAL.redisCommandsPerCall}`,
      ],
      [
        'redis CPU µs per call (INFO cpu)',
        fixed(full.redisInfoCpuUsPerCall),
        `goal ≤ ${GOAL.redisCpuUsPerCall}`,
      ],
      [
        'full path / bare engine',
        `${ratio.toFixed(2)}×`,
        `goal ≥ ${GOAL.ratio} (${ratioAfter.toFixed(2)}× after enqueue)`,
      ],
      [`dequeue → INVITE p50 ms, saturated`, fixed(s?.p50), ''],
      [`dequeue → INVITE p99 ms, saturated`, fixed(s?.p99), `goal < ${GOAL.dequeueToInviteP99Ms}`],
      ...(paced
        ? ([
            [`dequeue → INVITE p50 ms, paced ${paced.rate}/s`, fixed(p?.p50), ''],
            [
              `dequeue → INVITE p99 ms, paced ${paced.rate}/s`,
              fixed(p?.p99),
              `goal < ${GOAL.dequeueToInviteP99Ms}`,
            ],
          ] as Array<[string, string, string]>)
        : []),
    ];
    const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]?.length ?? 0)));
    console.log('');
    for (const [label, value, note] of rows)
      console.log(`${label.padEnd(widths[0] ?? 0)}  ${value.padStart(widths[1] ?? 0)}  ${note}`.trimEnd());
    const met = (ok: boolean): string => (ok ? 'MET' : 'NOT MET');
    const ratioMet = ratio >= GOAL.ratio;
    const saturatedMet = (s?.p99 ?? Infinity) < GOAL.dequeueToInviteP99Ms;
    const pacedMet = p === undefined ? undefined : p.p99 < GOAL.dequeueToInviteP99Ms;
    console.log(
      `goals (issue): full path ≥ ${GOAL.ratio}× bare engine: ${met(ratioMet)}; ` +
        `dequeue → INVITE p99 < ${GOAL.dequeueToInviteP99Ms} ms: saturated ${met(saturatedMet)}` +
        (pacedMet === undefined ? '' : `, paced ${met(pacedMet)}`),
    );
    console.log(`CPU: ${machineLine()}`);
    console.log(
      `BENCH_RESULT ${JSON.stringify({
        bench: 'full-path',
        calls: options.calls,
        concurrency: options.concurrency,
        bareCallsPerSecond: bare.callsPerSecond,
        fullCallsPerSecond: full.callsPerSecond,
        fullCallsPerSecondAfterEnqueue: full.callsPerSecondAfterEnqueue,
        ratio,
        bareFailed: bare.failed,
        fullFailed: full.failed,
        dequeueToInviteMs: {
          saturated: full.saturated,
          paced: paced ? { rate: paced.rate, ...paced.latency } : null,
        },
        cpuUsPerCall: { bareEngine: bare.cpuUsPerCall, ...cpu },
        redisCommandsPerCall: [...full.redisCommandsPerCall].reduce((sum, [, n]) => sum + n, 0),
        redisInfoCpuUsPerCall: full.redisInfoCpuUsPerCall,
        redisScriptUsPerCall: full.redisScriptUsPerCall,
        sampledCommandsPerCall: full.breakdown
          ? sampledCommands(full.breakdown.sample) / full.breakdown.calls
          : null,
        goalsMet: {
          ratio: ratioMet,
          dequeueToInviteP99Saturated: saturatedMet,
          dequeueToInviteP99Paced: pacedMet ?? null,
        },
      })}`,
    );
  } finally {
    process.off('SIGINT', onSignal);
    await stopAll();
    await rm(cwd, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
