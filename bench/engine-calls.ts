/**
 * Call throughput and setup latency of the embedded SIP engine against a sipp UAS, next to a sipp
 * UAC against the same UAS in the same run (the baseline: what the UAS and this machine allow).
 * Every call is INVITE → 180 → 200 → ACK → BYE → 200, with `concurrency` calls in flight.
 *
 * Run: npx tsx bench/engine-calls.ts [--calls N] [--concurrency C] [--transport udp|tcp]
 *        [--warmup W] [--skip-baseline] [--engine embedded|drachtio|embedded,drachtio]
 * `--engine drachtio` drives the calls through the drachtio-server DRACHTIO_URL names
 * (drachtio://:SECRET@HOST:PORT) to the same sipp UAS; its CPU is that server's, not counted here.
 * Profile: node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/engine-calls.ts --skip-baseline
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { parseDrachtioUrl } from '../src/config/parse-drachtio-url.js';
import { DrachtioSipEngine } from '../src/sip/drachtio/index.js';
import { EmbeddedSipEngine, SipFailure, type SipEngine, type SipTrunk } from '../src/sip/index.js';

const SIPP = process.env.SIPP ?? '/usr/bin/sipp';
const HOST = '127.0.0.1';
/** The goal the engine is held to (issue): at concurrency 50. */
const GOAL = { callsPerSecond: 2000, setupP99Ms: 20, concurrency: 50 } as const;

type Transport = 'udp' | 'tcp';
type EngineKind = 'embedded' | 'drachtio';

interface Options {
  readonly calls: number;
  readonly concurrency: number;
  readonly transport: Transport;
  readonly warmup: number;
  readonly skipBaseline: boolean;
  readonly engines: readonly EngineKind[];
}

interface Percentiles {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

interface RunResult {
  readonly label: string;
  readonly ok: number;
  readonly failed: number;
  readonly wallMs: number;
  readonly callsPerSecond: number;
  /** Setup times, ms. Undefined when the tool gave none. */
  readonly setup: Percentiles | undefined;
  /** Setup-time resolution note for the table, e.g. `sipp: whole ms`. */
  readonly setupNote?: string;
}

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      calls: { type: 'string', default: '10000' },
      concurrency: { type: 'string', default: '50' },
      transport: { type: 'string', default: 'udp' },
      warmup: { type: 'string', default: '500' },
      'skip-baseline': { type: 'boolean', default: false },
      engine: { type: 'string', default: 'embedded' },
    },
    strict: true,
  });
  const positive = (name: string, raw: string, min: number): number => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min)
      throw new Error(`--${name} must be an integer ≥ ${min}, got ${JSON.stringify(raw)}`);
    return value;
  };
  if (values.transport !== 'udp' && values.transport !== 'tcp') {
    throw new Error(`--transport must be udp or tcp, got ${JSON.stringify(values.transport)}`);
  }
  const engines = values.engine.split(',').map((name) => name.trim());
  for (const name of engines) {
    if (name !== 'embedded' && name !== 'drachtio')
      throw new Error(
        `--engine takes embedded, drachtio or both comma-separated, got ${JSON.stringify(name)}`,
      );
  }
  if (engines.includes('drachtio') && !process.env.DRACHTIO_URL) {
    throw new Error(
      '--engine drachtio needs DRACHTIO_URL=drachtio://:SECRET@HOST:PORT (a running drachtio-server)',
    );
  }
  return {
    engines: engines as EngineKind[],
    calls: positive('calls', values.calls, 1),
    concurrency: positive('concurrency', values.concurrency, 1),
    transport: values.transport,
    warmup: positive('warmup', values.warmup, 0),
    skipBaseline: values['skip-baseline'],
  };
}

// ---------------------------------------------------------------- ports and processes

/** A port free for both UDP and TCP on HOST (sipp binds one, the engine binds both). */
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

/** True once something owns the port: UDP cannot be bound, or TCP accepts a connection. */
async function portTaken(port: number, transport: Transport): Promise<boolean> {
  if (transport === 'tcp') {
    return new Promise((resolve) => {
      const socket = net.connect({ host: HOST, port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
  }
  const probe = dgram.createSocket('udp4');
  return new Promise((resolve) => {
    probe.once('error', () => resolve(true));
    probe.bind({ address: HOST, port, exclusive: true }, () => probe.close(() => resolve(false)));
  });
}

interface Child {
  readonly process: ChildProcess;
  readonly exited: Promise<number | null>;
  readonly stderr: () => string;
}

function startChild(args: string[], cwd: string): Child {
  const child = spawn(SIPP, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => resolve(code));
  });
  return { process: child, exited, stderr: () => stderr };
}

async function stopChild(child: Child): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  child.process.kill('SIGTERM');
  const killed = setTimeout(() => child.process.kill('SIGKILL'), 2000);
  await child.exited.catch(() => null);
  clearTimeout(killed);
}

const sippTransport = (transport: Transport): string => (transport === 'tcp' ? 't1' : 'u1');

async function startUas(port: number, transport: Transport, cwd: string): Promise<Child> {
  const uas = startChild(
    ['-sn', 'uas', '-i', HOST, '-p', String(port), '-t', sippTransport(transport), '-nostdin'],
    cwd,
  );
  const deadline = performance.now() + 5000;
  for (;;) {
    if (uas.process.exitCode !== null)
      throw new Error(`sipp uas exited with ${uas.process.exitCode}: ${uas.stderr()}`);
    if (await portTaken(port, transport)) return uas;
    if (performance.now() > deadline) {
      await stopChild(uas);
      throw new Error(`sipp uas did not bind ${HOST}:${port}/${transport} within 5 s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// ---------------------------------------------------------------- figures

function percentiles(samples: number[]): Percentiles | undefined {
  if (samples.length === 0) return undefined;
  const sorted = Float64Array.from(samples).sort();
  // Nearest rank: the smallest value with at least p of the samples at or below it.
  const at = (p: number): number =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? Number.NaN;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted[sorted.length - 1] ?? Number.NaN };
}

const ms = (value: number | undefined): string =>
  value === undefined ? '–' : value < 10 ? value.toFixed(2) : value.toFixed(1);

// ---------------------------------------------------------------- baseline: sipp uac

async function runSippUac(options: Options, uasPort: number, cwd: string): Promise<RunResult> {
  const uacPort = await freePort();
  const timeoutSec = 60 + Math.ceil(options.calls / 100);
  const args = [
    `${HOST}:${uasPort}`,
    '-sn',
    'uac',
    '-i',
    HOST,
    '-p',
    String(uacPort),
    '-t',
    sippTransport(options.transport),
    '-m',
    String(options.calls),
    '-l',
    String(options.concurrency),
    // Far above what the machine can do, so -l (calls in flight) is the only limit. Faster
    // settings (-timer_resol 1, bigger -max_recv_loops, -r 1e6) measured no better here.
    '-r',
    '10000',
    '-rp',
    '1000',
    '-nostdin',
    '-trace_stat',
    '-stf',
    'uac-stat.csv',
    '-fd',
    '1',
    // One line per call: INVITE → 200 time (the scenario's rtd), whole milliseconds.
    '-trace_rtt',
    '-rtt_freq',
    '1',
    '-timeout',
    `${timeoutSec}s`,
    '-timeout_error',
  ];
  const started = performance.now();
  const uac = startChild(args, cwd);
  const code = await uac.exited;
  const wallMs = performance.now() - started;
  const stat = await readSippStat(path.join(cwd, 'uac-stat.csv'));
  const ok = stat.get('SuccessfulCall(C)') ?? 0;
  const failed = stat.get('FailedCall(C)') ?? 0;
  if (code !== 0 || ok !== options.calls) {
    console.warn(`sipp uac exited with ${code}: ${ok} ok, ${failed} failed. ${uac.stderr().trim()}`);
  }
  return {
    label: 'sipp uac → sipp uas',
    ok,
    failed,
    wallMs,
    callsPerSecond: (ok / wallMs) * 1000,
    setup: percentiles(await readSippRtt(cwd)),
    setupNote: 'sipp: whole ms',
  };
}

/** The last line of sipp's -trace_stat CSV as counter name → number (counters only). */
async function readSippStat(file: string): Promise<Map<string, number>> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const lines = text.trim().split('\n');
  const names = (lines[0] ?? '').split(';');
  const values = (lines[lines.length - 1] ?? '').split(';');
  const counters = new Map<string, number>();
  names.forEach((name, i) => {
    const value = Number(values[i]);
    if (Number.isFinite(value)) counters.set(name, value);
  });
  return counters;
}

/** Every response time from sipp's -trace_rtt file (`date_ms;response_time_ms;rtd_no`). */
async function readSippRtt(cwd: string): Promise<number[]> {
  const file = (await readdir(cwd)).find((name) => name.endsWith('_rtt.csv'));
  if (!file) return [];
  const text = await readFile(path.join(cwd, file), 'utf8');
  const samples: number[] = [];
  for (const line of text.split('\n').slice(1)) {
    const value = Number(line.split(';')[1]);
    if (line.length > 0 && Number.isFinite(value)) samples.push(value);
  }
  return samples;
}

// ---------------------------------------------------------------- the engine

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

interface EngineFigures {
  readonly result: RunResult;
  /** `leg.timings.setupMs` (the engine's own figure, rounded to whole ms). */
  readonly engineSetup: Percentiles | undefined;
  readonly cpuUserUsPerCall: number;
  readonly cpuSystemUsPerCall: number;
  readonly peakRssMiB: number;
  readonly rssBeforeMiB: number;
  readonly loopDelay: { p99: number; max: number };
  readonly failures: Map<string, number>;
}

function createEngine(kind: EngineKind, transport: Transport): SipEngine {
  if (kind === 'embedded') return new EmbeddedSipEngine({ listen: { host: HOST, port: 0 }, transport });
  const drachtio = parseDrachtioUrl(process.env.DRACHTIO_URL ?? '');
  if (!drachtio) throw new Error('DRACHTIO_URL is not of the form drachtio://:SECRET@HOST:PORT');
  return new DrachtioSipEngine({ ...drachtio, transport });
}

async function runEngine(options: Options, uasPort: number, kind: EngineKind): Promise<EngineFigures> {
  const engine = createEngine(kind, options.transport);
  const trunk: SipTrunk = {
    name: 'bench',
    domain: HOST,
    proxy: `${HOST}:${uasPort}`,
    transport: options.transport,
  };
  await engine.start();
  try {
    // Warm-up: the same calls, not counted, so JIT compilation is not billed to the figures.
    if (options.warmup > 0) await callPool(engine, trunk, options.warmup, options.concurrency);
    const rssBefore = process.memoryUsage().rss;
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const pool = await callPool(engine, trunk, options.calls, options.concurrency);
    const wallMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    loop.disable();
    const ok = pool.setupMs.length;
    return {
      result: {
        label: `${kind} engine → sipp uas`,
        ok,
        failed: options.calls - ok,
        wallMs,
        callsPerSecond: (ok / wallMs) * 1000,
        setup: percentiles(pool.setupMs),
      },
      engineSetup: percentiles(pool.engineSetupMs),
      cpuUserUsPerCall: cpu.user / options.calls,
      cpuSystemUsPerCall: cpu.system / options.calls,
      // maxRSS is KiB on Linux and covers the whole process (tsx, warm-up included).
      peakRssMiB: process.resourceUsage().maxRSS / 1024,
      rssBeforeMiB: rssBefore / (1024 * 1024),
      loopDelay: { p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 },
      failures: pool.failures,
    };
  } finally {
    await engine.close();
  }
}

interface PoolResult {
  /** invite() call → resolved, ms, one per answered call. */
  readonly setupMs: number[];
  readonly engineSetupMs: number[];
  readonly failures: Map<string, number>;
}

/** `concurrency` workers taking call numbers from one counter: C calls in flight until N are done. */
async function callPool(
  engine: SipEngine,
  trunk: SipTrunk,
  calls: number,
  concurrency: number,
): Promise<PoolResult> {
  const setupMs: number[] = [];
  const engineSetupMs: number[] = [];
  const failures = new Map<string, number>();
  const fail = (key: string): void => void failures.set(key, (failures.get(key) ?? 0) + 1);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < calls) {
      const n = next;
      next += 1;
      const started = performance.now();
      try {
        const leg = await engine.invite({
          trunk,
          uri: `sip:${100000 + n}@${HOST}`,
          sdp: SDP,
          ringTimeoutMs: 5000,
        });
        setupMs.push(performance.now() - started);
        engineSetupMs.push(leg.timings.setupMs);
        const end = await leg.hangup();
        if (end.by !== 'local') fail(`ended by ${end.by}: ${end.reason}`);
      } catch (error) {
        fail(
          error instanceof SipFailure ? `${error.status} ${error.reason} (${error.phase})` : String(error),
        );
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, calls) }, worker));
  return { setupMs, engineSetupMs, failures };
}

// ---------------------------------------------------------------- report

function printTable(rows: RunResult[], baseline: RunResult | undefined): void {
  const header = ['', 'calls/s', 'setup p50 ms', 'setup p99 ms', 'engine/sipp', 'ok/failed'];
  const body = rows.map((row) => [
    row.label,
    row.callsPerSecond.toFixed(0),
    ms(row.setup?.p50) + (row.setupNote ? '*' : ''),
    ms(row.setup?.p99) + (row.setupNote ? '*' : ''),
    baseline && row !== baseline ? `${(row.callsPerSecond / baseline.callsPerSecond).toFixed(2)}×` : '',
    `${row.ok}/${row.failed}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  console.log(line(header));
  for (const row of body) console.log(line(row));
  if (rows.some((row) => row.setupNote))
    console.log('* sipp reports response times in whole milliseconds (0 means under 1 ms).');
}

async function main(): Promise<void> {
  const options = readOptions();
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'bench-engine-calls-'));
  const uasPort = await freePort();
  console.log(
    `node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), sipp uas on ${HOST}:${uasPort}/${options.transport}; ` +
      `${options.calls} calls, ${options.concurrency} in flight, engine warm-up ${options.warmup} calls`,
  );
  const uas = await startUas(uasPort, options.transport, cwd);
  const stopOnSignal = (): void => {
    void stopChild(uas).finally(() => process.exit(130));
  };
  process.once('SIGINT', stopOnSignal);
  try {
    const baseline = options.skipBaseline ? undefined : await runSippUac(options, uasPort, cwd);
    if (baseline)
      console.log(
        `baseline: ${baseline.ok} calls in ${(baseline.wallMs / 1000).toFixed(2)} s (sipp process wall time)`,
      );

    const runs: EngineFigures[] = [];
    for (const kind of options.engines) runs.push(await runEngine(options, uasPort, kind));
    for (const engine of runs) {
      const { result } = engine;
      const s = result.setup;
      const e = engine.engineSetup;
      console.log(`${result.label}: ${result.ok} calls in ${(result.wallMs / 1000).toFixed(2)} s`);
      console.log(
        `  setup (timer around invite()) ms: p50 ${ms(s?.p50)}  p90 ${ms(s?.p90)}  p99 ${ms(s?.p99)}  max ${ms(s?.max)}\n` +
          `  setup (leg.timings.setupMs, whole ms): p50 ${e?.p50 ?? '–'}  p90 ${e?.p90 ?? '–'}  p99 ${e?.p99 ?? '–'}  max ${e?.max ?? '–'}\n` +
          `  CPU per call: ${(engine.cpuUserUsPerCall + engine.cpuSystemUsPerCall).toFixed(0)} µs ` +
          `(user ${engine.cpuUserUsPerCall.toFixed(0)}, system ${engine.cpuSystemUsPerCall.toFixed(0)}); ` +
          `peak RSS ${engine.peakRssMiB.toFixed(0)} MiB (RSS ${engine.rssBeforeMiB.toFixed(0)} MiB after warm-up); ` +
          `event-loop delay p99 ${engine.loopDelay.p99.toFixed(1)} ms, max ${engine.loopDelay.max.toFixed(1)} ms`,
      );
      for (const [reason, count] of engine.failures) console.log(`  failed ×${count}: ${reason}`);
    }
    // The goal and the `engine` field below are the first engine's (embedded unless only drachtio ran).
    const [engine] = runs;
    if (!engine) throw new Error('no engine ran');
    const { result } = engine;
    const s = result.setup;

    console.log('');
    const rows = runs.map((run) => run.result);
    printTable(baseline ? [baseline, ...rows] : rows, baseline);
    const met =
      result.callsPerSecond >= GOAL.callsPerSecond &&
      (s?.p99 ?? Infinity) < GOAL.setupP99Ms &&
      result.failed === 0;
    console.log(
      `goal (issue): ≥ ${GOAL.callsPerSecond} calls/s and setup p99 < ${GOAL.setupP99Ms} ms at concurrency ${GOAL.concurrency}: ` +
        (options.concurrency === GOAL.concurrency
          ? met
            ? 'MET'
            : 'NOT MET'
          : `not judged (ran at concurrency ${options.concurrency})`),
    );
    // One machine-readable line for bench/run-all.ts.
    const summary = (row: RunResult): object => ({
      ok: row.ok,
      failed: row.failed,
      wallMs: row.wallMs,
      callsPerSecond: row.callsPerSecond,
      setupMs: row.setup ?? null,
    });
    console.log(
      `BENCH_RESULT ${JSON.stringify({
        bench: 'engine-calls',
        calls: options.calls,
        concurrency: options.concurrency,
        transport: options.transport,
        baseline: baseline ? summary(baseline) : null,
        engine: {
          ...summary(result),
          cpuUsPerCall: engine.cpuUserUsPerCall + engine.cpuSystemUsPerCall,
          peakRssMiB: engine.peakRssMiB,
          loopDelayMs: engine.loopDelay,
        },
        engineName: options.engines[0],
        drachtio: (() => {
          const run = runs[options.engines.indexOf('drachtio')];
          return run && run !== engine ? summary(run.result) : null;
        })(),
        goalMet: options.concurrency === GOAL.concurrency ? met : null,
      })}`,
    );
  } finally {
    process.off('SIGINT', stopOnSignal);
    await stopChild(uas);
    await rm(cwd, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
