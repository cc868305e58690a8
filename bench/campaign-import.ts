/**
 * Campaign import speed and memory: a 1 000 000-row CSV (unique valid numbers in several
 * countries, a name column) streamed through importCampaignCsv into an in-memory collector,
 * next to a baseline that reads the same file line by line and does nothing with it.
 * Prints rows/s and peak RSS growth for both. `npx tsx bench/campaign-import.ts [rows]`
 *
 * `--staged` adds the whole all-or-nothing import (createCampaignAndImport: stage in Redis, then
 * commit into the BullMQ queue) against a private redis-server, with Redis's peak memory.
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { importCampaignCsv } from '../src/jobs/campaign-import.js';
import { CampaignStore } from '../src/jobs/campaign-store.js';
import { createCampaignAndImport } from '../src/jobs/create-campaign-and-import.js';
import { DialerClient } from '../src/jobs/dialer-client.js';

const args = process.argv.slice(2);
const STAGED = args.includes('--staged');
const ROWS = Number(args.find((a) => !a.startsWith('--')) ?? 1_000_000);

/** The whole import into a private Redis: rows/s, this process's peak RSS growth, Redis's peak memory. */
async function stagedImport(file: string): Promise<Figures & { redisPeakMb: number }> {
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const server = spawn(
    process.env.REDIS_SERVER ?? 'redis-server',
    ['--port', String(port), '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  const redis = new Redis({ port, maxRetriesPerRequest: null, lazyConnect: true });
  redis.on('error', () => undefined);
  try {
    for (let i = 0; ; i++) {
      try {
        await redis.connect();
        break;
      } catch (error) {
        if (i > 50) throw error;
        await sleep(100);
      }
    }
    const client = new DialerClient({ redis, prefix: '{bench}' });
    const store = new CampaignStore({ redis, keys: client.keys });
    const figures = await measure(async () => {
      const { report, lastImport } = await createCampaignAndImport(
        { client, store },
        { name: 'bench', settings: { trunk: 'carrier' }, stream: createReadStream(file) },
      );
      if (lastImport.state !== 'committed' || report.enqueued !== ROWS) {
        throw new Error(`expected ${ROWS} jobs committed, got ${report.enqueued} (${lastImport.state})`);
      }
      return report.rows;
    });
    const peak = /used_memory_peak:(\d+)/.exec(await redis.info('memory'))?.[1];
    await client.close();
    return { ...figures, redisPeakMb: Number(peak) / 2 ** 20 };
  } finally {
    redis.disconnect();
    server.kill();
  }
}

/** Row i: a valid, distinct number (US, GB, BR mobiles in turn). */
export function numberFor(i: number): string {
  const n = Math.floor(i / 3);
  switch (i % 3) {
    case 0:
      return `+1212${String(2_000_000 + n).padStart(7, '0')}`;
    case 1:
      return `+447400${String(n).padStart(6, '0')}`;
    default:
      return `+55349${String(80_000_000 + n).padStart(8, '0')}`;
  }
}

async function writeFile(path: string, rows: number): Promise<void> {
  const out = createWriteStream(path);
  out.write('number,name\n');
  for (let i = 0; i < rows; i++) {
    if (!out.write(`${numberFor(i)},person ${i}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

interface Figures {
  rows: number;
  ms: number;
  peakRssGrowthMb: number;
}

async function measure(run: () => Promise<number>): Promise<Figures> {
  globalThis.gc?.();
  const base = process.memoryUsage().rss;
  let peak = base;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const start = performance.now();
  const rows = await run();
  const ms = performance.now() - start;
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss);
  return { rows, ms, peakRssGrowthMb: (peak - base) / 2 ** 20 };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'campaign-import-bench-'));
  const file = join(dir, 'numbers.csv');
  try {
    await writeFile(file, ROWS);

    const baseline = await measure(async () => {
      let n = 0;
      for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
        if (line.length > 0) n++;
      }
      return n - 1;
    });

    let collected = 0;
    const imported = await measure(async () => {
      const report = await importCampaignCsv({
        stream: createReadStream(file),
        campaign: 'bench',
        trunk: { name: 'carrier' },
        enqueue: async (jobs) => {
          collected += jobs.length;
          return jobs.length;
        },
      });
      if (report.enqueued !== ROWS || collected !== ROWS) {
        throw new Error(`expected ${ROWS} jobs, got ${report.enqueued} (${report.invalid} invalid)`);
      }
      return report.rows;
    });

    const staged = STAGED ? await stagedImport(file) : undefined;

    const line = (name: string, f: Figures): string =>
      `${name.padEnd(28)} ${String(f.rows).padStart(9)} rows  ${Math.round((f.rows / f.ms) * 1000)
        .toString()
        .padStart(9)} rows/s  peak RSS +${f.peakRssGrowthMb.toFixed(0)} MB`;
    console.log(`campaign import, ${ROWS} rows, Node ${process.version}`);
    console.log(line('baseline (readline, no work)', baseline));
    console.log(line('importCampaignCsv', imported));
    if (staged)
      console.log(
        `${line('staged import + commit', staged)}  Redis peak ${staged.redisPeakMb.toFixed(0)} MB`,
      );
    // One machine-readable line for bench/run-all.ts.
    const figures = (f: Figures): object => ({
      rows: f.rows,
      ms: f.ms,
      rowsPerSecond: (f.rows / f.ms) * 1000,
      peakRssGrowthMb: f.peakRssGrowthMb,
    });
    console.log(
      `BENCH_RESULT ${JSON.stringify({ bench: 'campaign-import', rows: ROWS, baseline: figures(baseline), import: figures(imported), ...(staged && { staged: { ...figures(staged), redisPeakMb: staged.redisPeakMb } }) })}`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
