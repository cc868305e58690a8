import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importCampaignCsv } from '../../../src/jobs/campaign-import.js';

// A full run (1 000 000 rows, rows/s and peak RSS against a bare read) is bench/campaign-import.ts;
// 200 000 rows keep this test to seconds while still dwarfing any fixed overhead.
const ROWS = 200_000;
const MB = 2 ** 20;

// Live heap is only measurable after a full collection; vitest gives no --expose-gc, so turn it on here.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'campaign-import-memory-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeCsv(name: string, numberFor: (i: number) => string): Promise<string> {
  const path = join(dir, name);
  const out = createWriteStream(path);
  out.write('number,name,notes\n');
  for (let i = 0; i < ROWS; i++) {
    if (!out.write(`${numberFor(i)},person ${i},some notes about row ${i} to make the file bigger\n`)) {
      await once(out, 'drain');
    }
  }
  out.end();
  await once(out, 'finish');
  return path;
}

interface Measured {
  readonly enqueued: number;
  readonly duplicates: number;
  /** Live heap after a full GC once the import returned, minus before. */
  readonly liveGrowth: number;
  /** Live heap samples (after GC) at each quarter of the file. */
  readonly liveSamples: readonly number[];
  readonly peakRssGrowth: number;
}

/** Imports into a collector that counts jobs and keeps none, as a queue would. */
async function importMeasured(path: string): Promise<Measured> {
  gc();
  const heap0 = process.memoryUsage().heapUsed;
  const rss0 = process.memoryUsage().rss;
  let peakRss = rss0;
  const liveSamples: number[] = [];
  let nextSample = ROWS / 4;
  let collected = 0;
  const report = await importCampaignCsv({
    stream: createReadStream(path),
    campaign: 'big',
    trunk: { name: 'carrier' },
    enqueue: async (jobs) => {
      collected += jobs.length;
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      return jobs.length;
    },
    onProgress: (p) => {
      if (p.rows < nextSample) return;
      nextSample += ROWS / 4;
      gc();
      liveSamples.push(process.memoryUsage().heapUsed - heap0);
    },
  });
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  expect(collected).toBe(report.enqueued);
  expect(report.rows).toBe(ROWS);
  gc();
  return {
    enqueued: report.enqueued,
    duplicates: report.duplicates,
    liveGrowth: process.memoryUsage().heapUsed - heap0,
    liveSamples,
    peakRssGrowth: peakRss - rss0,
  };
}

describe('importCampaignCsv memory', () => {
  it(
    'keeps only the dedupe set: about 40 bytes per unique number, nothing per row',
    { timeout: 120_000 },
    async () => {
      const unique = await writeCsv('unique.csv', (i) => `+1212${String(2_000_000 + i).padStart(7, '0')}`);
      const repeated = await writeCsv('repeated.csv', () => '+12122000000');

      const u = await importMeasured(unique);
      expect(u.enqueued).toBe(ROWS);
      // The set of 200 000 numbers: ~10 MB measured at the end of the file; 150 bytes per number
      // would still be fine. Once the import returns, nothing it allocated stays alive.
      expect(Math.max(...u.liveSamples)).toBeLessThan(ROWS * 150);
      expect(u.liveGrowth).toBeLessThan(4 * MB);
      expect(u.peakRssGrowth).toBeLessThan(200 * MB);

      const r = await importMeasured(repeated);
      expect(r.enqueued).toBe(1);
      expect(r.duplicates).toBe(ROWS - 1);
      // Nothing grows with rows that add nothing to the set: no per-row or per-line retention.
      for (const sample of r.liveSamples) expect(sample).toBeLessThan(4 * MB);
      expect(r.liveSamples.length).toBeGreaterThanOrEqual(3);
      expect(r.peakRssGrowth).toBeLessThan(200 * MB);
    },
  );
});
