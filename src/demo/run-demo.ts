import { randomUUID } from 'node:crypto';
import { closeSync, createReadStream, openSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProgressReporter, progressBar } from '../cli/index.js';
import { createCampaignAndImport } from '../jobs/index.js';
import { CampaignStore } from '../jobs/index.js';
import type { CallOutcome } from '../jobs/index.js';
import { DialerClient } from '../jobs/index.js';
import { jobIdFor } from '../jobs/index.js';
import { createRedisConnection, scanKeys } from '../redis/index.js';
import { DialerKeys } from '../kernel/index.js';
import { CleanupStack } from './cleanup-stack.js';
import { findRedis, startPrivateRedis } from './demo-redis.js';
import { formatSummary, summarizeOutcomes } from './demo-summary.js';
import { freePort } from './free-port.js';
import { ManagedChild } from './managed-child.js';
import { REDIS_SERVER, requireTools, SIPP, type Tool } from './require-tools.js';
import { DEMO_COUNTRIES, sampleNumbers } from './sample-numbers.js';

export interface DemoIo {
  readonly env: NodeJS.ProcessEnv;
  /** Results (the table). */
  readonly out: (line: string) => void;
  /** Steps and progress. */
  readonly err: (text: string) => void;
  readonly tty: boolean;
  /** The terminal's width, when stderr is one: the progress line is cut to it. */
  readonly columns?: number;
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CARRIER_SCENARIO = join(ROOT, 'demo', 'carrier.xml');
const CLI_MAIN = join(ROOT, 'src', 'cli', 'main.ts');
const CAMPAIGN = 'demo';
const WORKERS = 2;

/**
 * `npm run demo`: a Redis (found or started), a sipp carrier, two worker processes, a campaign of
 * DEMO_SIZE numbers (default 300) across ten countries, a live progress bar, a table of outcomes;
 * then everything it started is stopped and removed. Resolves with the exit status.
 */
export async function runDemo(io: DemoIo): Promise<number> {
  const size = Number(io.env['DEMO_SIZE'] ?? 300);
  if (!Number.isInteger(size) || size < 1 || size > 100_000) {
    io.err(`demo: DEMO_SIZE must be a whole number from 1 to 100000 (got ${io.env['DEMO_SIZE']})`);
    return 2;
  }
  const run: DemoRun = {
    io,
    say: (line) => io.err(`demo: ${line}\n`),
    cleanup: new CleanupStack(),
    stopped: [],
    failed: false,
    prefix: `{demo-${randomUUID().slice(0, 8)}}`,
  };
  const onSignal = (): void => {
    run.say('interrupted: cleaning up');
    void run.cleanup.run().then(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const { redisUrl, dir } = await prepare(run);
    const carrierPort = await startCarrier(run, dir);
    const { workers, metricsUrls } = await startWorkers(run, { dir, redisUrl, carrierPort });
    const numbers = sampleNumbers(size, Number(io.env['DEMO_SEED'] ?? 42));
    const client = new DialerClient({ redis: redisUrl, prefix: run.prefix });
    run.cleanup.push('client', () => client.close());
    const store = new CampaignStore({ redis: client.redis, keys: client.keys });
    const started = Date.now();
    await importNumbers(run, { dir, numbers, client, store });
    await watchCampaign(run, { store, workers, started });
    const seconds = (Date.now() - started) / 1000;

    const outcomes = (
      await Promise.all(numbers.map((n) => client.getOutcome(jobIdFor({ campaign: CAMPAIGN, e164: n.e164 }))))
    ).filter((o): o is CallOutcome => o !== undefined);
    const fromMetrics = await completedPerMetrics(metricsUrls);
    io.out('');
    io.out(formatSummary(summarizeOutcomes(outcomes, seconds)));
    io.out(`from /metrics:    ${fromMetrics} outcomes counted by the ${WORKERS} workers`);
    io.out('');
    return 0;
  } catch (error) {
    run.failed = true;
    io.err(`demo: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  } finally {
    const notCleaned = await run.cleanup.run();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    run.say(
      `cleaned up: ${run.stopped.join(', ') || 'nothing to clean'}${notCleaned.length ? `; could not clean up: ${notCleaned.join(', ')}` : ''}`,
    );
  }
}

/** What every step of one demo run shares: where it talks, what it must undo, what it undid. */
interface DemoRun {
  readonly io: DemoIo;
  readonly say: (line: string) => void;
  readonly cleanup: CleanupStack;
  /** What the clean-up stopped or removed, for the last line. */
  readonly stopped: string[];
  /** Set when the demo failed: the worker logs are kept. */
  failed: boolean;
  /** Every Redis key of the demo is under it. */
  readonly prefix: string;
}

/** The tools, a temporary directory and a Redis (found, or a private one started). */
async function prepare(run: DemoRun): Promise<{ redisUrl: string; dir: string }> {
  const { io, say, cleanup, stopped, prefix } = run;
  // DEMO_REDIS=private: leave any Redis already running alone and start a private one.
  const found = io.env['DEMO_REDIS'] === 'private' ? undefined : await findRedis(io.env);
  const tools: Tool[] = found ? [SIPP] : [SIPP, REDIS_SERVER];
  await requireTools(tools, say);
  const dir = await mkdtemp(join(tmpdir(), 'dialer-demo-'));
  cleanup.push('temporary directory', async () => {
    if (run.failed || io.env['DEMO_KEEP_LOGS'] === '1') {
      stopped.push(`kept the worker logs in ${dir}`);
      return;
    }
    await rm(dir, { recursive: true, force: true });
    stopped.push(`removed ${dir}`);
  });
  if (found) {
    say(`using the Redis at ${new URL(found).host} (keys under ${prefix}, deleted at the end)`);
    cleanup.push('demo keys', async () => {
      await deleteKeys(found, prefix);
      stopped.push(`deleted ${prefix}* keys`);
    });
    return { redisUrl: found, dir };
  }
  const redis = await startPrivateRedis();
  say(
    `${io.env['DEMO_REDIS'] === 'private' ? 'DEMO_REDIS=private' : 'no Redis answered on 127.0.0.1:6379'}: started a private redis-server on port ${new URL(redis.url).port}`,
  );
  cleanup.push('redis-server', async () => {
    await redis.stop();
    stopped.push(`redis-server pid ${redis.child?.pid}`);
  });
  return { redisUrl: redis.url, dir };
}

/** The stand-in carrier: sipp with demo/carrier.xml. Returns its port. */
async function startCarrier(run: DemoRun, dir: string): Promise<number> {
  const carrierPort = await freePort();
  const carrier = await ManagedChild.start(
    'sipp',
    'sipp',
    [
      '-sf',
      CARRIER_SCENARIO,
      '-i',
      '127.0.0.1',
      '-mi',
      '127.0.0.1',
      '-p',
      String(carrierPort),
      '-t',
      'u1',
      '-nostdin',
      '-nd',
    ],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  run.cleanup.push('sipp', async () => {
    await carrier.stop();
    run.stopped.push(`sipp pid ${carrier.pid}`);
  });
  await new Promise((r) => setTimeout(r, 300));
  if (!carrier.running) throw new Error(`sipp exited at start: ${carrier.output.trim().slice(-500)}`);
  run.say(
    `stand-in carrier: sipp on udp 127.0.0.1:${carrierPort} (404 for +numbers and numbers ending in 9, busy 5/6, no answer 7, 503 for even-8, others answer)`,
  );
  return carrierPort;
}

async function startWorkers(
  run: DemoRun,
  where: { dir: string; redisUrl: string; carrierPort: number },
): Promise<{ workers: ManagedChild[]; metricsUrls: string[] }> {
  const workers: ManagedChild[] = [];
  const metricsUrls: string[] = [];
  run.cleanup.push('workers', async () => {
    await Promise.all(workers.map((w) => w.stop(10_000)));
    if (workers.length > 0) run.stopped.push(`workers pids ${workers.map((w) => w.pid).join(' ')}`);
  });
  for (let i = 0; i < WORKERS; i++) {
    // A port found free can be taken by another program before the worker binds it: try again
    // with fresh ports rather than fail the demo.
    for (let attempt = 1; ; attempt++) {
      const metricsPort = await freePort();
      const file = join(where.dir, `worker-${i + 1}.yaml`);
      const yaml = workerYaml({
        ...where,
        prefix: run.prefix,
        sipPort: await freePort(),
        metricsPort,
        index: i,
      });
      await writeFile(file, yaml);
      const log = join(where.dir, `worker-${i + 1}.log`);
      const worker = await startWorker(file, log);
      try {
        await waitForLine(worker, log, 'dialer worker started');
      } catch (error) {
        await worker.stop(2_000);
        if (attempt < 3 && /EADDRINUSE/.test(String(error))) continue;
        throw error;
      }
      workers.push(worker);
      metricsUrls.push(`http://127.0.0.1:${metricsPort}/metrics`);
      break;
    }
  }
  run.say(`${WORKERS} worker processes up (embedded SIP engine); metrics at ${metricsUrls.join(' and ')}`);
  return { workers, metricsUrls };
}

async function importNumbers(
  run: DemoRun,
  o: {
    dir: string;
    numbers: ReturnType<typeof sampleNumbers>;
    client: DialerClient;
    store: CampaignStore;
  },
): Promise<void> {
  const csv = join(o.dir, 'numbers.csv');
  await writeFile(csv, `number,country\n${o.numbers.map((n) => `${n.e164},${n.country}`).join('\n')}\n`);
  const { report } = await createCampaignAndImport(
    { client: o.client, store: o.store },
    {
      name: CAMPAIGN,
      settings: {
        trunk: 'carrier',
        maxAttempts: 2,
        retryDelays: { busyMs: 500, noAnswerMs: 500, carrierErrorMs: 500 },
      },
      stream: createReadStream(csv),
      batchSize: 100,
    },
  );
  run.say(
    `campaign "${CAMPAIGN}": ${report.enqueued} numbers from ${DEMO_COUNTRIES.length} countries (${DEMO_COUNTRIES.join(' ')}) imported and dialing`,
  );
}

/** Redraws the progress line until every number has its outcome (or the deadline passes). */
async function watchCampaign(
  run: DemoRun,
  o: { store: CampaignStore; workers: readonly ManagedChild[]; started: number },
): Promise<void> {
  const { io } = run;
  const progress = new ProgressReporter(io.err, io.tty, 1000, io.columns);
  const deadline = o.started + Number(io.env['DEMO_TIMEOUT_MS'] ?? 120_000);
  for (;;) {
    const status = await o.store.status(CAMPAIGN);
    const done = status.total - status.pending;
    const elapsed = (Date.now() - o.started) / 1000;
    const counts = Object.entries(status.byStatus)
      .filter(([, n]) => n > 0)
      .map(([s, n]) => `${s} ${n}`)
      .join(', ');
    const line = `${progressBar(status.total > 0 ? done / status.total : 0)} ${done}/${status.total}  ${(status.attempts / Math.max(elapsed, 0.001)).toFixed(1)} INVITEs/s  ${counts}`;
    if (status.total > 0 && status.pending === 0) {
      progress.done(line);
      return;
    }
    if (Date.now() > deadline) {
      progress.done(line);
      throw new Error(`the campaign did not finish within ${Math.round((deadline - o.started) / 1000)} s`);
    }
    for (const w of o.workers)
      if (!w.running) throw new Error(`worker pid ${w.pid} exited: ${w.output.slice(-500)}`);
    progress.update(line);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function workerYaml(o: {
  redisUrl: string;
  prefix: string;
  carrierPort: number;
  sipPort: number;
  metricsPort: number;
  index: number;
}): string {
  const rtp = 40000 + o.index * 200;
  return `redis: ${o.redisUrl}
queuePrefix: "${o.prefix}"
engine: embedded
sip: { listen: 127.0.0.1:${o.sipPort}, transport: udp }
media: { address: 127.0.0.1, ports: ${rtp}-${rtp + 199} }
trunks:
  - name: carrier
    proxy: 127.0.0.1:${o.carrierPort}
    domain: carrier.demo
    dialFormats: [e164, e164-digits]
    callerId: "+442071838750"
    cps: 60
    maxChannels: 60
    concurrency: 30
defaults:
  ringTimeout: 1s
  maxCallLength: 5s
  maxAttempts: 2
  retryDelays: { busy: 500ms, noAnswer: 500ms, carrierError: 500ms }
shutdown: { grace: 2s }
metrics: { listen: 127.0.0.1:${o.metricsPort} }
log: { level: info }
`;
}

async function startWorker(configFile: string, logFile: string): Promise<ManagedChild> {
  const fd = openSync(logFile, 'a');
  try {
    return await ManagedChild.start(
      'worker',
      process.execPath,
      ['--import', 'tsx', CLI_MAIN, 'worker', '--config', configFile],
      {
        cwd: ROOT,
        env: { ...process.env, LOG_LEVEL: 'info' },
        stdio: ['ignore', fd, fd],
      },
    );
  } finally {
    closeSync(fd);
  }
}

async function waitForLine(worker: ManagedChild, logFile: string, text: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const log = await readFile(logFile, 'utf8').catch(() => '');
    if (log.includes(text)) return;
    if (!worker.running || Date.now() > deadline) {
      throw new Error(`worker did not start:\n${log.trim().split('\n').slice(-10).join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Sum of dialer_calls_completed_total over the workers' /metrics. */
async function completedPerMetrics(urls: readonly string[]): Promise<number> {
  let total = 0;
  for (const url of urls) {
    const text = await (await fetch(url)).text();
    for (const line of text.split('\n')) {
      if (line.startsWith('dialer_calls_completed_total{'))
        total += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return total;
}

async function deleteKeys(url: string, prefix: string): Promise<void> {
  const redis = createRedisConnection(url, { maxRetriesPerRequest: 2 });
  redis.on('error', () => undefined);
  try {
    for (const pattern of new DialerKeys(prefix).patterns)
      for await (const keys of scanKeys(redis, pattern, 1000)) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}
