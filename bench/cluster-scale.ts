/**
 * The same load against one Redis and against a real 3-master Redis Cluster, in one run: three
 * trunks (each trunk's keys under its own hash tag `{dialer:t:<trunk>}`), each to its own sipp
 * UAS, dialled by 1, 2 and 3 `dialer worker` child processes in turn. Per Redis node it prints
 * CPU per call (`INFO cpu`: used_cpu_sys + used_cpu_user, before and after) and commands per call
 * (`INFO commandstats`, commands run inside Lua scripts included), with each node's share of the
 * total (the issue's goal: no node above 45 %); and the fleet's calls/s with the CPU per call of
 * the workers. On a 2-core machine three workers, four to six Redis processes and three sipp
 * share two cores, so the calls/s do not grow with the workers: CPU per call is the figure.
 *
 * Both set-ups run redis-server alike: AOF with `appendfsync always` (what the worker asks for),
 * no RDB, a password. The trunk names are picked so that each master of the cluster owns one
 * trunk's slot (CRC16 of the tag); each number's fence and attempts (`{dialer:n:<e164>}`) spread
 * over every slot; the prefix's tag `{dialer}` (outcomes and their stream, dialog registries,
 * campaigns, DNC) lands where CRC16 puts it, on one of them.
 *
 * Run: npx tsx bench/cluster-scale.ts [--calls N] [--concurrency C] [--warmup W] [--workers 1,2,3]
 *   N calls per phase over the three trunks, C per trunk per worker in flight.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { parseConfig } from '../src/config/load-config.js';
import { DialerClient } from '../src/jobs/dialer-client.js';
import { duplicateRedisConnection, type RedisConnection } from '../src/redis/index.js';
import { clusterSlot } from '../test/helpers/cluster-slot.js';
import { freeTcpPort, freeUdpPort } from '../test/helpers/free-port.js';
import { OwnRedisCluster, hasRedisCli } from '../test/helpers/own-redis-cluster.js';
import { waitFor } from '../test/helpers/wait-for.js';
import { startChild, stopChild, type BenchChild as Child } from './helpers/bench-child.js';
import { machineLine } from './helpers/machine-line.js';
import { processCpuSeconds } from './helpers/process-cpu-seconds.js';

const SIPP = process.env.SIPP ?? '/usr/bin/sipp';
const HOST = '127.0.0.1';
const PASSWORD = 'bench-cluster-scale';
const PREFIX = '{dialer}';
const MAIN = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
/** The issue's goal: no node serves more than this share of the cluster's total. */
const GOAL_MAX_SHARE = 0.45;

interface Options {
  readonly calls: number;
  readonly concurrency: number;
  readonly warmup: number;
  readonly workers: readonly number[];
}

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      calls: { type: 'string', default: '900' },
      concurrency: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '60' },
      workers: { type: 'string', default: '1,2,3' },
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
    calls: integer('calls', values.calls, 3),
    concurrency: integer('concurrency', values.concurrency, 1),
    warmup: integer('warmup', values.warmup, 0),
    workers: values.workers.split(',').map((w) => integer('workers', w.trim(), 1)),
  };
}

// ---------------------------------------------------------------- processes

async function startUas(): Promise<{ child: Child; port: number }> {
  const port = await freeUdpPort();
  const child = startChild(SIPP, ['-sn', 'uas', '-i', HOST, '-p', String(port), '-t', 'u1', '-nostdin']);
  await new Promise((resolve) => setTimeout(resolve, 300));
  if (child.process.exitCode !== null) throw new Error(`sipp uas exited: ${child.output()}`);
  return { child, port };
}

// ---------------------------------------------------------------- redis set-ups

/** One Redis server's figures so far. */
interface NodeFigures {
  readonly cpuSeconds: number;
  readonly commands: number;
}

/** A Redis set-up: where its nodes are, what the worker config says, how to read each node. */
interface RedisSetup {
  readonly label: string;
  readonly ports: readonly number[];
  readonly yaml: string;
  /** Which node (port) owns each slot. */
  readonly ownerOf: (slot: number) => number;
  readonly stop: () => Promise<void>;
}

async function nodeFigures(port: number): Promise<NodeFigures> {
  const redis = new Redis({ host: HOST, port, password: PASSWORD, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  try {
    const cpu = await redis.info('cpu');
    const field = (name: string): number => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(cpu)?.[1]);
    const stats = await redis.info('commandstats');
    let commands = 0;
    for (const m of stats.matchAll(/^cmdstat_[^:]+:calls=(\d+)/gm)) commands += Number(m[1]);
    return { cpuSeconds: field('used_cpu_sys') + field('used_cpu_user'), commands };
  } finally {
    redis.disconnect();
  }
}

/** redis-server as the cluster helper runs its nodes (AOF always, no RDB, a password), alone. */
async function startSingleRedis(): Promise<RedisSetup> {
  const port = await freeTcpPort();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-cluster-scale-single-'));
  const child = startChild('redis-server', [
    ...['--port', String(port), '--bind', HOST, '--dir', dir, '--save', ''],
    ...['--appendonly', 'yes', '--appendfsync', 'always', '--requirepass', PASSWORD],
  ]);
  await waitFor(
    async () =>
      (await nodeFigures(port).catch(() => undefined)) !== undefined || child.process.exitCode !== null,
    { what: 'the single redis-server to answer' },
  );
  if (child.process.exitCode !== null) throw new Error(`redis-server exited: ${child.output()}`);
  return {
    label: 'single Redis',
    ports: [port],
    yaml: `redis://:${PASSWORD}@${HOST}:${port}`,
    ownerOf: () => port,
    stop: async () => {
      await stopChild(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function startCluster(): Promise<RedisSetup> {
  const cluster = await OwnRedisCluster.start(PASSWORD);
  const redis = new Redis({ host: HOST, port: cluster.ports[0], password: PASSWORD });
  redis.on('error', () => undefined);
  // CLUSTER SLOTS: [[start, end, [host, port, id], replicas...], ...].
  const ranges = ((await redis.call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number]]>).map(
    ([start, end, [, port]]) => ({ start, end, port }),
  );
  redis.disconnect();
  return {
    label: '3-master cluster',
    ports: cluster.ports,
    yaml: cluster.yaml,
    ownerOf: (slot) => ranges.find((r) => slot >= r.start && slot <= r.end)?.port ?? -1,
    stop: () => {
      cluster.stop();
      return Promise.resolve();
    },
  };
}

/** Three trunk names whose hash tags land on three different masters (by the cluster's slot map). */
function trunkNames(cluster: RedisSetup): string[] {
  const byPort = new Map<number, string>();
  for (let i = 0; byPort.size < cluster.ports.length && i < 10_000; i++) {
    const name = `carrier${i}`;
    const port = cluster.ownerOf(clusterSlot(`{${PREFIX.slice(1, -1)}:t:${name}}`));
    if (!byPort.has(port)) byPort.set(port, name);
  }
  if (byPort.size < 3) throw new Error('could not find three trunk names on three masters');
  return cluster.ports.map((p) => byPort.get(p) ?? '');
}

// ---------------------------------------------------------------- workers and load

function workerYaml(o: {
  redis: string;
  trunks: ReadonlyArray<{ name: string; port: number }>;
  concurrency: number;
  maxChannels: number;
  rtpBase: number;
}): string {
  const size = 4 * o.concurrency * o.trunks.length + 20;
  return `redis: ${o.redis}
queuePrefix: "${PREFIX}"
sip: { listen: ${HOST}:0, transport: udp }
media: { address: ${HOST}, ports: ${o.rtpBase}-${o.rtpBase + size - 1} }
trunks:
${o.trunks
  .map(
    (t) => `  - name: ${t.name}
    proxy: ${HOST}:${t.port}
    domain: ${HOST}
    defaultCountry: BR
    dialFormats: [e164]
    cps: 10000
    maxChannels: ${o.maxChannels}
    concurrency: ${o.concurrency}`,
  )
  .join('\n')}
defaults:
  ringTimeout: 5s
  maxCallLength: 10s
  maxAttempts: 1
shutdown: { grace: 2s }
log: { level: warn }
`;
}

/** Reads the outcomes stream from where it was, until every id asked for has an outcome. */
class OutcomeReader {
  #lastId: string;
  readonly #seen = new Set<string>();

  constructor(
    readonly redis: RedisConnection,
    readonly stream: string,
    from: string,
  ) {
    this.#lastId = from;
  }

  async waitAll(ids: readonly string[], workers: readonly Child[], timeoutMs: number): Promise<void> {
    const wanted = new Set(ids.filter((id) => !this.#seen.has(id)));
    const deadline = performance.now() + timeoutMs;
    while (wanted.size > 0) {
      const dead = workers.find((w) => w.process.exitCode !== null);
      if (dead) throw new Error(`a worker exited: ${dead.output()}`);
      if (performance.now() > deadline)
        throw new Error(`${wanted.size} outcomes missing after ${timeoutMs} ms`);
      const reply = (await this.redis.xread(
        'COUNT',
        1000,
        'BLOCK',
        500,
        'STREAMS',
        this.stream,
        this.#lastId,
      )) as Array<[string, Array<[string, string[]]>]> | null;
      for (const [, entries] of reply ?? []) {
        for (const [id, fields] of entries) {
          this.#lastId = id;
          const jobId = fields[fields.indexOf('jobId') + 1];
          if (jobId === undefined) continue;
          this.#seen.add(jobId);
          wanted.delete(jobId);
        }
      }
    }
  }
}

interface PhaseResult {
  readonly setup: string;
  readonly workers: number;
  readonly callsPerSecond: number;
  readonly workerCpuUsPerCall: number;
  /** Per node (port): CPU µs per call and commands per call. */
  readonly nodes: ReadonlyArray<{ port: number; cpuUsPerCall: number; commandsPerCall: number }>;
}

let serial = 0;

async function runPhase(
  options: Options,
  setup: RedisSetup,
  trunks: ReadonlyArray<{ name: string; port: number }>,
  workerCount: number,
  cwd: string,
): Promise<PhaseResult> {
  const maxWorkers = Math.max(...options.workers);
  const workers: Child[] = [];
  const files: string[] = [];
  for (let w = 0; w < workerCount; w++) {
    const file = path.join(cwd, `worker-${setup.ports[0]}-${workerCount}-${w}.yaml`);
    const yaml = workerYaml({
      redis: setup.yaml,
      trunks,
      concurrency: options.concurrency,
      // Fleet-wide: the channels never cap the fleet, so added workers add calls in flight.
      maxChannels: options.concurrency * maxWorkers,
      rtpBase: 40_000 + w * 2000,
    });
    await writeFile(file, yaml);
    files.push(file);
  }
  const config = parseConfig(await readFile(files[0] ?? '', 'utf8'), {});
  const client = new DialerClient({
    redis: config.redis,
    prefix: PREFIX,
    trunks: trunks.map((t) => ({ name: t.name, domain: HOST, defaultCountry: 'BR' })),
  });
  const reader = duplicateRedisConnection(client.redis, { maxRetriesPerRequest: null });
  reader.on('error', () => undefined);
  try {
    // Outcomes of earlier phases are in the stream already: read from its end.
    const [last] = await client.redis.xrevrange(client.keys.outcomes, '+', '-', 'COUNT', 1);
    const outcomes = new OutcomeReader(reader, client.keys.outcomes, last?.[0] ?? '0-0');
    for (const file of files)
      workers.push(
        startChild(process.execPath, ['--import', 'tsx', MAIN, 'worker', '--config', file], {
          env: { ...process.env, LOG_LEVEL: 'warn' },
        }),
      );
    for (const t of trunks)
      await waitFor(
        async () => {
          const dead = workers.find((w) => w.process.exitCode !== null);
          if (dead) throw new Error(`a worker exited: ${dead.output()}`);
          // A worker still starting has no count yet: asked again until it has.
          return (
            (await client
              .queue(t.name)
              .getWorkersCount()
              .catch(() => 0)) >= workerCount
          );
        },
        { what: `${workerCount} workers on trunk ${t.name}`, timeoutMs: 60_000 },
      );
    const enqueue = async (count: number): Promise<string[]> => {
      const inputs = Array.from({ length: count }, (_, i) => {
        serial += 1;
        return {
          number: `+5534984${String(serial).padStart(6, '0')}`,
          trunk: trunks[i % trunks.length]?.name ?? '',
          script: { hangupAfterMs: 0 },
        };
      });
      return (await client.enqueueMany(inputs)).map((r) => {
        if (!r.ok) throw r.error;
        return r.call.jobId;
      });
    };
    const timeoutMs = 60_000 + options.calls * 50;
    if (options.warmup > 0) await outcomes.waitAll(await enqueue(options.warmup), workers, timeoutMs);

    const before = await Promise.all(setup.ports.map(nodeFigures));
    const workersBefore = await Promise.all(workers.map((w) => processCpuSeconds(w.process.pid)));
    const started = performance.now();
    await outcomes.waitAll(await enqueue(options.calls), workers, timeoutMs);
    const wallMs = performance.now() - started;
    const workersAfter = await Promise.all(workers.map((w) => processCpuSeconds(w.process.pid)));
    const after = await Promise.all(setup.ports.map(nodeFigures));
    const workerCpu = workersAfter.reduce((sum, a, i) => sum + a - (workersBefore[i] ?? 0), 0);
    return {
      setup: setup.label,
      workers: workerCount,
      callsPerSecond: (options.calls / wallMs) * 1000,
      workerCpuUsPerCall: (workerCpu * 1e6) / options.calls,
      nodes: setup.ports.map((port, i) => ({
        port,
        cpuUsPerCall: (((after[i]?.cpuSeconds ?? 0) - (before[i]?.cpuSeconds ?? 0)) * 1e6) / options.calls,
        commandsPerCall: ((after[i]?.commands ?? 0) - (before[i]?.commands ?? 0)) / options.calls,
      })),
    };
  } finally {
    reader.disconnect();
    await client.close();
    await Promise.all(workers.map((w) => stopChild(w)));
  }
}

// ---------------------------------------------------------------- report

function report(
  results: readonly PhaseResult[],
  single: RedisSetup,
  cluster: RedisSetup,
  trunks: readonly string[],
): void {
  const pct = (part: number, whole: number): string => `${((part / whole) * 100).toFixed(0)} %`;
  console.log('');
  console.log(
    'set-up            workers  calls/s  worker CPU µs/call  Redis CPU µs/call (total)  Redis commands/call (total)',
  );
  for (const r of results) {
    const cpu = r.nodes.reduce((s, n) => s + n.cpuUsPerCall, 0);
    const commands = r.nodes.reduce((s, n) => s + n.commandsPerCall, 0);
    console.log(
      `${r.setup.padEnd(17)} ${String(r.workers).padStart(7)}  ${r.callsPerSecond.toFixed(0).padStart(7)}  ` +
        `${r.workerCpuUsPerCall.toFixed(0).padStart(18)}  ${cpu.toFixed(0).padStart(25)}  ${commands.toFixed(1).padStart(27)}`,
    );
  }
  console.log('');
  console.log('per cluster node (what it owns; CPU µs/call and share, commands/call and share):');
  const prefixPort = cluster.ownerOf(clusterSlot(`${PREFIX}:outcomes`));
  let worstShare = 0;
  for (const r of results.filter((x) => x.setup === cluster.label)) {
    const cpu = r.nodes.reduce((s, n) => s + n.cpuUsPerCall, 0);
    const commands = r.nodes.reduce((s, n) => s + n.commandsPerCall, 0);
    console.log(`  ${r.workers} worker${r.workers > 1 ? 's' : ''}:`);
    for (const n of r.nodes) {
      const owns = [
        ...trunks.filter((t) => cluster.ownerOf(clusterSlot(`{${PREFIX.slice(1, -1)}:t:${t}}`)) === n.port),
        ...(n.port === prefixPort ? [PREFIX] : []),
      ];
      worstShare = Math.max(worstShare, n.commandsPerCall / commands, n.cpuUsPerCall / cpu);
      console.log(
        `    node :${n.port} (${owns.join(', ') || 'nothing'}): CPU ${n.cpuUsPerCall.toFixed(0)} µs/call ${pct(n.cpuUsPerCall, cpu)}, ` +
          `${n.commandsPerCall.toFixed(1)} commands/call ${pct(n.commandsPerCall, commands)}`,
      );
    }
  }
  const met = worstShare <= GOAL_MAX_SHARE;
  console.log(
    `goal (issue): no node above ${GOAL_MAX_SHARE * 100} % of the total: ${met ? 'MET' : 'NOT MET'} ` +
      `(largest share ${(worstShare * 100).toFixed(0)} %, of CPU or commands)`,
  );
  const base = results.filter((r) => r.setup === single.label);
  console.log(`machine: ${machineLine()}`);
  console.log(
    `BENCH_RESULT ${JSON.stringify({
      bench: 'cluster-scale',
      phases: results,
      singleBaseline: base,
      largestNodeShare: worstShare,
      goalMet: met,
    })}`,
  );
}

async function main(): Promise<void> {
  const options = readOptions();
  console.log(`command: npx tsx bench/cluster-scale.ts ${process.argv.slice(2).join(' ')}`.trimEnd());
  console.log(`machine: ${machineLine()}`);
  if (!hasRedisCli())
    throw new Error('redis-cli is not installed (Debian package redis-tools): it creates the cluster');
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'bench-cluster-scale-'));
  const started: Array<() => Promise<void>> = [];
  const onSignal = (): void =>
    void Promise.all(started.map((stop) => stop())).finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  try {
    const cluster = await startCluster();
    started.push(cluster.stop);
    const single = await startSingleRedis();
    started.push(single.stop);
    const names = trunkNames(cluster);
    const trunks: Array<{ name: string; port: number }> = [];
    for (const name of names) {
      const uas = await startUas();
      started.push(() => stopChild(uas.child));
      trunks.push({ name, port: uas.port });
    }
    console.log(
      `trunks ${names.join(', ')} (one per master), each to its own sipp uas; ${options.calls} calls per phase, ` +
        `${options.concurrency} per trunk per worker in flight, warm-up ${options.warmup}; single Redis :${single.ports[0]}, ` +
        `cluster ${cluster.ports.map((p) => `:${p}`).join(' ')}`,
    );
    const results: PhaseResult[] = [];
    for (const setup of [single, cluster]) {
      for (const count of options.workers) {
        const result = await runPhase(options, setup, trunks, count, cwd);
        results.push(result);
        console.log(
          `${setup.label}, ${count} worker(s): ${result.callsPerSecond.toFixed(0)} calls/s, worker CPU ` +
            `${result.workerCpuUsPerCall.toFixed(0)} µs/call; per node CPU µs/call ` +
            `${result.nodes.map((n) => n.cpuUsPerCall.toFixed(0)).join(' / ')}, commands/call ` +
            `${result.nodes.map((n) => n.commandsPerCall.toFixed(1)).join(' / ')} (load ${os.loadavg()[0]?.toFixed(2)})`,
        );
      }
    }
    report(results, single, cluster, names);
  } finally {
    process.off('SIGINT', onSignal);
    for (const stop of started.reverse()) await stop().catch(() => undefined);
    await rm(cwd, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
