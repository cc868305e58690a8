import { randomUUID } from 'node:crypto';
import { closeSync, createReadStream, openSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { ProgressReporter, progressBar } from '../cli/index.js';
import { importCampaignCsv } from '../jobs/index.js';
import { CampaignStore } from '../jobs/index.js';
import type { CallOutcome } from '../jobs/index.js';
import { DialerClient } from '../jobs/index.js';
import { jobIdFor } from '../jobs/index.js';
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
  const say = (line: string): void => io.err(`demo: ${line}\n`);
  const cleanup = new CleanupStack();
  const stopped: string[] = [];
  let failed = false;
  const onSignal = (): void => {
    say('interrupted: cleaning up');
    void cleanup.run().then(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    // DEMO_REDIS=private: leave any Redis already running alone and start a private one.
    let redisUrl = io.env['DEMO_REDIS'] === 'private' ? undefined : await findRedis(io.env);
    const tools: Tool[] = redisUrl ? [SIPP] : [SIPP, REDIS_SERVER];
    await requireTools(tools, say);
    const dir = await mkdtemp(join(tmpdir(), 'dialer-demo-'));
    cleanup.push('temporary directory', async () => {
      if (failed || io.env['DEMO_KEEP_LOGS'] === '1') {
        stopped.push(`kept the worker logs in ${dir}`);
        return;
      }
      await rm(dir, { recursive: true, force: true });
      stopped.push(`removed ${dir}`);
    });
    const prefix = `{demo-${randomUUID().slice(0, 8)}}`;
    if (redisUrl) {
      say(`using the Redis at ${new URL(redisUrl).host} (keys under ${prefix}, deleted at the end)`);
      const url = redisUrl;
      cleanup.push('demo keys', async () => {
        await deleteKeys(url, prefix);
        stopped.push(`deleted ${prefix}* keys`);
      });
    } else {
      const redis = await startPrivateRedis();
      redisUrl = redis.url;
      say(
        `${io.env['DEMO_REDIS'] === 'private' ? 'DEMO_REDIS=private' : 'no Redis answered on 127.0.0.1:6379'}: started a private redis-server on port ${new URL(redisUrl).port}`,
      );
      cleanup.push('redis-server', async () => {
        await redis.stop();
        stopped.push(`redis-server pid ${redis.child?.pid}`);
      });
    }

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
    cleanup.push('sipp', async () => {
      await carrier.stop();
      stopped.push(`sipp pid ${carrier.pid}`);
    });
    await new Promise((r) => setTimeout(r, 300));
    if (!carrier.running) throw new Error(`sipp exited at start: ${carrier.output.trim().slice(-500)}`);
    say(
      `stand-in carrier: sipp on udp 127.0.0.1:${carrierPort} (404 for +numbers and numbers ending in 9, busy 5/6, no answer 7, 503 for even-8, others answer)`,
    );

    const workers: ManagedChild[] = [];
    const metricsUrls: string[] = [];
    cleanup.push('workers', async () => {
      await Promise.all(workers.map((w) => w.stop(10_000)));
      if (workers.length > 0) stopped.push(`workers pids ${workers.map((w) => w.pid).join(' ')}`);
    });
    for (let i = 0; i < WORKERS; i++) {
      // A port found free can be taken by another program before the worker binds it: try again
      // with fresh ports rather than fail the demo.
      for (let attempt = 1; ; attempt++) {
        const metricsPort = await freePort();
        const file = join(dir, `worker-${i + 1}.yaml`);
        await writeFile(
          file,
          workerYaml({ redisUrl, prefix, carrierPort, sipPort: await freePort(), metricsPort, index: i }),
        );
        const log = join(dir, `worker-${i + 1}.log`);
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
    say(`${WORKERS} worker processes up (embedded SIP engine); metrics at ${metricsUrls.join(' and ')}`);

    const numbers = sampleNumbers(size, Number(io.env['DEMO_SEED'] ?? 42));
    const csv = join(dir, 'numbers.csv');
    await writeFile(csv, `number,country\n${numbers.map((n) => `${n.e164},${n.country}`).join('\n')}\n`);
    const client = new DialerClient({ redis: redisUrl, prefix });
    cleanup.push('client', () => client.close());
    const store = new CampaignStore({ redis: client.redis, keys: client.keys });
    await store.create(
      CAMPAIGN,
      {
        trunk: 'carrier',
        maxAttempts: 2,
        retryDelays: { busyMs: 500, noAnswerMs: 500, carrierErrorMs: 500 },
      },
      { state: 'running' },
    );
    const progress = new ProgressReporter(io.err, io.tty);
    const started = Date.now();
    const report = await importCampaignCsv({
      stream: createReadStream(csv),
      campaign: CAMPAIGN,
      trunk: { name: 'carrier' },
      enqueue: async (jobs) => (await client.addJobs('carrier', jobs)).filter(Boolean).length,
      store,
      batchSize: 100,
    });
    say(
      `campaign "${CAMPAIGN}": ${report.enqueued} numbers from ${DEMO_COUNTRIES.length} countries (${DEMO_COUNTRIES.join(' ')}) imported and dialing`,
    );

    const deadline = started + Number(io.env['DEMO_TIMEOUT_MS'] ?? 120_000);
    for (;;) {
      const status = await store.status(CAMPAIGN);
      const done = status.total - status.pending;
      const elapsed = (Date.now() - started) / 1000;
      const counts = Object.entries(status.byStatus)
        .filter(([, n]) => n > 0)
        .map(([s, n]) => `${s} ${n}`)
        .join(', ');
      const line = `${progressBar(status.total > 0 ? done / status.total : 0)} ${done}/${status.total}  ${(status.attempts / Math.max(elapsed, 0.001)).toFixed(1)} attempts/s  ${counts}`;
      if (status.total > 0 && status.pending === 0) {
        progress.done(line);
        break;
      }
      if (Date.now() > deadline) {
        progress.done(line);
        throw new Error(`the campaign did not finish within ${Math.round((deadline - started) / 1000)} s`);
      }
      for (const w of workers)
        if (!w.running) throw new Error(`worker pid ${w.pid} exited: ${w.output.slice(-500)}`);
      progress.update(line);
      await new Promise((r) => setTimeout(r, 200));
    }
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
    failed = true;
    io.err(`demo: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  } finally {
    const notCleaned = await cleanup.run();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    say(
      `cleaned up: ${stopped.join(', ') || 'nothing to clean'}${notCleaned.length ? `; could not clean up: ${notCleaned.join(', ')}` : ''}`,
    );
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
  const redis = new Redis(url, { maxRetriesPerRequest: 2 });
  redis.on('error', () => undefined);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
