/**
 * Pacing of N concurrent 20 ms RTP streams in one process (the media of N answered calls), next to
 * the same N streams each driven by its own setInterval in the same run.
 *
 * Run: npx tsx bench/media-pacing.ts [--calls 100,500,1000] [--seconds 10] [--no-echo]
 *
 * Each stream is a real RtpSession on a pre-bound port pair from an RtpPortPool, paced by one
 * MediaScheduler, sending G.711 to a UDP sink in a child process that this script starts. By
 * default the sink echoes every packet back to its sender (like `sipp -rtp_echo`), so the process
 * also receives N × 50 packets/s, as it would on live calls; `--no-echo` measures sending alone.
 *
 * Pacing error = the time a packet's tick started − the time it was due (start + k × 20 ms).
 * The first second of each run is warm-up and not counted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { randomInt } from 'node:crypto';
import { tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  MediaScheduler,
  PacingHistogram,
  RtpPortPool,
  RtpSession,
  writeRtpHeader,
  type PacingStats,
} from '../src/media/index.js';

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
}
const counts = (argValue('--calls') ?? '100,500,1000').split(',').map(Number);
const seconds = Number(argValue('--seconds') ?? '10');
const echo = !process.argv.includes('--no-echo');
const WARMUP_MS = 1000;
// A full GC before each RSS reading, without asking for --expose-gc on the command line.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const ADDRESS = '127.0.0.1';

if (counts.some((n) => !Number.isInteger(n) || n < 1) || !(seconds > 1)) {
  console.error('usage: npx tsx bench/media-pacing.ts [--calls 100,500,1000] [--seconds 10] [--no-echo]');
  process.exit(2);
}

// The counting sink (--no-echo): a child process that counts what reaches it.
const SINK = `
const dgram = require('node:dgram');
const s = dgram.createSocket('udp4');
let n = 0;
s.on('message', () => n++);
s.bind(0, '127.0.0.1', () => console.log(s.address().port));
require('node:readline').createInterface({ input: process.stdin }).on('line', (l) => {
  if (l === 'count') console.log(n);
  if (l === 'reset') { n = 0; console.log('ok'); }
});
`;

interface Sink {
  readonly port: number;
  readonly name: string;
  /** Packets that reached the sink since the last reset; undefined when the sink cannot tell. */
  count(): Promise<number | undefined>;
  reset(): Promise<void>;
  stop(): void;
}

async function startCountingSink(): Promise<Sink> {
  const child: ChildProcess = spawn(process.execPath, ['-e', SINK], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const queue: Array<(line: string) => void> = [];
  const first = new Promise<string>((resolve) => queue.push(resolve));
  lines.on('line', (line) => queue.shift()?.(line));
  const ask = (command: string): Promise<string> =>
    new Promise((resolve) => {
      queue.push(resolve);
      child.stdin!.write(`${command}\n`);
    });
  return {
    port: Number(await first),
    name: 'node counter',
    count: async () => Number(await ask('count')),
    reset: async () => void (await ask('reset')),
    stop: () => child.kill('SIGKILL'),
  };
}

/**
 * The echoing sink: \`sipp -rtp_echo\` (C, one thread), which sends every packet back to its
 * sender, as a far end sending audio would. A Node echo on this 2-core machine took a core of its
 * own and starved the process under test.
 */
async function startEchoSink(): Promise<Sink> {
  const sipPort = await freeUdpPort();
  const mediaPort = await freeUdpPort();
  const child = spawn(
    'sipp',
    [
      '-sn',
      'uas',
      '-rtp_echo',
      '-mp',
      String(mediaPort),
      '-i',
      ADDRESS,
      '-mi',
      ADDRESS,
      '-p',
      String(sipPort),
      '-nostdin',
      '-nd',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'], cwd: tmpdir() },
  );
  // sipp has no "ready" signal: probe until a packet comes back.
  const probe = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => probe.bind(0, ADDRESS, () => resolve()));
  const ok = await new Promise<boolean>((resolve) => {
    const timer = setInterval(() => probe.send(Buffer.alloc(12), mediaPort, ADDRESS), 50);
    probe.once('message', () => {
      clearInterval(timer);
      resolve(true);
    });
    setTimeout(() => {
      clearInterval(timer);
      resolve(false);
    }, 5000);
  });
  probe.close();
  if (!ok) {
    child.kill('SIGKILL');
    throw new Error('sipp -rtp_echo did not echo within 5 s (is sipp installed?)');
  }
  return {
    port: mediaPort,
    name: 'sipp -rtp_echo',
    count: async () => undefined,
    reset: async () => {},
    stop: () => child.kill('SIGKILL'),
  };
}

function freeUdpPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  return new Promise((resolve) =>
    socket.bind(0, ADDRESS, () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    }),
  );
}

async function openPool(pairs: number): Promise<RtpPortPool> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const span = 2 * pairs + 400;
    const minPort = 20000 + 2 * randomInt(0, (40000 - span) / 2);
    const pool = await RtpPortPool.open({ address: ADDRESS, minPort, maxPort: minPort + span - 1 });
    if (pool.size >= pairs) return pool;
    await pool.close();
  }
  throw new Error(`could not bind ${pairs} RTP port pairs`);
}

interface Row {
  readonly mode: string;
  readonly calls: number;
  readonly pacing: PacingStats;
  readonly cpuPercent: number;
  readonly rssPerCallKb: number;
  readonly rssMb: number;
  readonly sent: number;
  readonly sinkReceived: number | undefined;
  readonly echoed?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Measures what happens between warm-up end and the run's end. */
async function measure(
  settle: () => Promise<void>,
  sink: Sink,
  sentSoFar: () => number,
  echoedSoFar: () => number,
): Promise<{ cpuPercent: number; sent: number; sinkReceived: number | undefined; echoed?: number }> {
  await sleep(WARMUP_MS);
  await settle();
  await sink.reset();
  const sent0 = sentSoFar();
  const echoed0 = echoedSoFar();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(seconds * 1000 - WARMUP_MS);
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - t0;
  // Sent and sink counts taken together: only the packets in flight between them differ.
  const sent = sentSoFar() - sent0;
  const echoed = echoedSoFar() - echoed0;
  const sinkReceived = await sink.count();
  return {
    cpuPercent: ((cpu.user + cpu.system) / 1000 / wall) * 100,
    sent,
    sinkReceived,
    ...(echo ? { echoed } : {}),
  };
}

async function runScheduler(calls: number, sink: Sink): Promise<Row> {
  const pool = await openPool(calls);
  const scheduler = new MediaScheduler();
  gc();
  const rss0 = process.memoryUsage().rss;
  const sessions: RtpSession[] = [];
  // Calls come up one by one as they are answered, not all in the same millisecond.
  const start = performance.now();
  for (let i = 0; i < calls; i++) {
    const lease = pool.lease();
    sessions.push(
      new RtpSession({
        lease,
        remote: { address: ADDRESS, port: sink.port },
        codec: { name: 'PCMU', payloadType: 0 },
        telephoneEventPayloadType: 101,
        scheduler,
        deadAfterMs: 0,
      }).start(),
    );
    const due = start + ((i + 1) * 20) / calls;
    if (i % 50 === 49) await sleep(Math.max(0, due - performance.now()));
  }
  gc();
  const rssPerCallKb = (process.memoryUsage().rss - rss0) / 1024 / calls;
  const m = await measure(
    async () => scheduler.resetPacing(),
    sink,
    () => sessions.reduce((sum, s) => sum + s.stats.packetsSent, 0),
    () => sessions.reduce((sum, s) => sum + s.stats.packetsReceived, 0),
  );
  const pacing = scheduler.pacing;
  const rssMb = process.memoryUsage().rss / 1024 / 1024;
  for (const s of sessions) s.close();
  scheduler.close();
  await pool.close();
  return {
    mode: 'one scheduler (RtpSession)',
    calls,
    pacing,
    rssPerCallKb,
    rssMb,
    ...m,
  };
}

/** The baseline: each stream its own setInterval(20), sending a prebuilt 172-byte RTP packet. */
async function runIntervals(calls: number, sink: Sink): Promise<Row> {
  const pool = await openPool(calls);
  gc();
  const rss0 = process.memoryUsage().rss;
  const histogram = new PacingHistogram();
  const timers: NodeJS.Timeout[] = [];
  let sent = 0;
  let received = 0;
  const leases = Array.from({ length: calls }, () => pool.lease());
  const start = performance.now();
  for (let i = 0; i < calls; i++) {
    const lease = leases[i]!;
    lease.rtpSocket.on('message', () => received++);
    const first = performance.now();
    let k = 0;
    let seq = 0;
    timers.push(
      setInterval(() => {
        k++;
        histogram.record(performance.now() - (first + k * 20));
        const packet = Buffer.allocUnsafe(172).fill(0xff, 12);
        writeRtpHeader(packet, {
          payloadType: 0,
          sequenceNumber: seq++,
          timestamp: seq * 160,
          ssrc: i + 1,
          marker: false,
        });
        lease.rtpSocket.send(packet, sink.port, ADDRESS);
        sent++;
      }, 20),
    );
    const due = start + ((i + 1) * 20) / calls;
    if (i % 50 === 49) await sleep(Math.max(0, due - performance.now()));
  }
  gc();
  const rssPerCallKb = (process.memoryUsage().rss - rss0) / 1024 / calls;
  const m = await measure(
    async () => histogram.reset(),
    sink,
    () => sent,
    () => received,
  );
  const pacing = histogram.stats;
  const rssMb = process.memoryUsage().rss / 1024 / 1024;
  for (const t of timers) clearInterval(t);
  for (const l of leases) l.release();
  await pool.close();
  return {
    mode: 'setInterval per call',
    calls,
    pacing,
    rssPerCallKb,
    rssMb,
    ...m,
  };
}

const sink = echo ? await startEchoSink() : await startCountingSink();
const rows: Row[] = [];
try {
  console.log(
    `media-pacing: ${seconds} s per run (first ${WARMUP_MS} ms warm-up), sink: ${sink.name}; node ${process.version}`,
  );
  for (const calls of counts) {
    for (const run of [runScheduler, runIntervals]) {
      const row = await run(calls, sink);
      rows.push(row);
      console.log(
        `  ${row.mode.padEnd(28)} ${String(calls).padStart(5)} calls  p50 ${row.pacing.p50Ms.toFixed(2)} ms  p99 ${row.pacing.p99Ms.toFixed(2)} ms  max ${row.pacing.maxMs.toFixed(1)} ms  CPU ${row.cpuPercent.toFixed(0)}%`,
      );
      await sleep(500);
    }
  }
} finally {
  sink.stop();
}

const expected = (calls: number): number => ((seconds * 1000 - WARMUP_MS) / 20) * calls;
console.log('');
console.log(
  'mode                          calls  pacing p50 ms    p99 ms    max ms   CPU %  RSS/call KB  sent/ideal  sink got' +
    (echo ? '  echoed/sent' : ''),
);
for (const r of rows) {
  console.log(
    [
      r.mode.padEnd(28),
      String(r.calls).padStart(6),
      r.pacing.p50Ms.toFixed(2).padStart(14),
      r.pacing.p99Ms.toFixed(2).padStart(10),
      r.pacing.maxMs.toFixed(1).padStart(10),
      r.cpuPercent.toFixed(0).padStart(7),
      r.rssPerCallKb.toFixed(1).padStart(12),
      (r.sent / expected(r.calls)).toFixed(3).padStart(11),
      (r.sinkReceived === undefined
        ? '-'
        : `${((r.sinkReceived / Math.max(1, r.sent)) * 100).toFixed(1)}%`
      ).padStart(9),
      ...(r.echoed !== undefined ? [(r.echoed / Math.max(1, r.sent)).toFixed(3).padStart(12)] : []),
    ].join(''),
  );
}
const at1000 = rows.find((r) => r.mode.startsWith('one scheduler') && r.calls === 1000);
if (at1000) {
  const met = at1000.pacing.p99Ms < 5;
  console.log(
    `\ngoal: 1000 calls with pacing p99 < 5 ms: ${met ? 'met' : 'NOT met'} (p99 ${at1000.pacing.p99Ms.toFixed(2)} ms)`,
  );
}
// One machine-readable line for bench/run-all.ts.
console.log(
  `BENCH_RESULT ${JSON.stringify({
    bench: 'media-pacing',
    seconds,
    echo,
    rows: rows.map((r) => ({
      mode: r.mode,
      calls: r.calls,
      p50Ms: round(r.pacing.p50Ms),
      p99Ms: round(r.pacing.p99Ms),
      maxMs: round(r.pacing.maxMs),
      cpuPercent: round(r.cpuPercent),
      rssPerCallKb: round(r.rssPerCallKb),
      sent: r.sent,
      ...(r.sinkReceived !== undefined ? { sinkReceived: r.sinkReceived } : {}),
      ...(r.echoed !== undefined ? { echoed: r.echoed } : {}),
    })),
  })}`,
);

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
