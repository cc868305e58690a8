import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import {
  importCampaignCsv,
  type EnqueueBatch,
  type ImportProgress,
} from '../../../src/jobs/campaign-import.js';
import { CampaignStore } from '../../../src/jobs/campaign-store.js';
import { dialJobSchema, type DialJob } from '../../../src/jobs/dial-job.js';
import { DialerKeys } from '../../../src/kernel/dialer-keys.js';
import { InvalidCampaignError } from '../../../src/jobs/invalid-campaign-error.js';

const TRUNK = { name: 'carrier', defaultCountry: 'BR' } as const;
let dir: string;
let redis: Redis;
let keys: DialerKeys;
let queue: Queue;
let store: CampaignStore;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'campaign-import-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
  keys = new DialerKeys(`{t-${randomUUID()}}`);
  queue = new Queue(keys.queueName(TRUNK.name), { connection: redis, prefix: keys.prefix });
  store = new CampaignStore({ redis, keys });
  await store.create('spring-sale', { trunk: TRUNK.name });
});

afterEach(async () => {
  await queue.close();
  const found = (await Promise.all(keys.patterns.map((p) => redis.keys(p)))).flat();
  if (found.length > 0) await redis.del(...found);
  redis.disconnect();
});

/** What the producer's enqueue does: addBulk, counting the ids the queue did not hold yet. */
const bullmqEnqueue: EnqueueBatch = async (jobs) => {
  const pipeline = redis.pipeline();
  for (const job of jobs) pipeline.exists(`${queue.qualifiedName}:${job.jobId}`);
  const existed = ((await pipeline.exec()) ?? []).map(([err, n]) => {
    if (err) throw err;
    return n === 1;
  });
  await queue.addBulk(jobs.map((job) => ({ name: 'dial', data: job.data, opts: { jobId: job.jobId } })));
  return existed.filter((e) => !e).length;
};

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, `${randomUUID()}-${name}`);
  await writeFile(path, text);
  return path;
}

const CSV = [
  'Name,Phone,City', // 1
  'Ann,+55 34 98414-9880,Uberlândia', // 2
  'Bob,(34) 98414-9881,"Belo Horizonte, MG"', // 3: national, default country BR
  '', // 4
  'Cid,12,Rio', // 5: too short
  'Dee,+5534984149880,again', // 6: repeat of line 2
  'Eve,,Nowhere', // 7: no number
  'Fay,+44 7400 123456,"multi', // 8: quoted field over two lines
  'line",x', // 9
  'Gus,sip:+5534984149882@evil.example,Rio', // 10: not a number
  'Hal,+5534984149883', // 11: short row
].join('\r\n');

describe('importCampaignCsv into a real BullMQ queue', () => {
  it('enqueues each number once however often the file is imported, and reports bad rows by line', async () => {
    const path = await file('numbers.csv', CSV);
    const progress: ImportProgress[] = [];
    const run = () =>
      importCampaignCsv({
        stream: createReadStream(path),
        campaign: 'spring-sale',
        trunk: TRUNK,
        enqueue: bullmqEnqueue,
        batchSize: 2,
        store,
        now: () => 1_750_000_000_000,
        onProgress: (p) => progress.push(p),
      });

    const first = await run();
    expect(first).toEqual({
      lines: 11,
      rows: 8,
      valid: 4,
      invalid: 4,
      duplicates: 1,
      enqueued: 3,
      alreadyQueued: 0,
      header: ['Name', 'Phone', 'City'],
      numberColumn: 'Phone',
      errors: [
        { line: 5, input: '12', reason: 'TOO_SHORT' },
        { line: 7, input: '', reason: 'MISSING_NUMBER' },
        // The rule of every dial job: metadata never carries CR, LF or NUL on to exports and callbacks.
        { line: 8, input: '+44 7400 123456', reason: 'JOB_INVALID', field: 'metadata.City' },
        { line: 10, input: 'sip:+5534984149882@evil.example', reason: 'BAD_CHARACTERS' },
      ],
      errorsOmitted: 0,
    });
    expect(progress.at(-1)).toEqual({ rows: 8, valid: 4, invalid: 4, duplicates: 1, enqueued: 3 });

    const second = await run();
    expect(second).toMatchObject({ rows: 8, valid: 4, duplicates: 1, enqueued: 0, alreadyQueued: 3 });

    const counts = await queue.getJobCounts('wait', 'delayed', 'prioritized', 'active');
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(3);
    expect((await store.status('spring-sale')).total).toBe(3);

    const jobs = await queue.getJobs(['wait']);
    const byId = new Map(jobs.map((j) => [j.id, j.data as DialJob]));
    expect([...byId.keys()].sort()).toEqual([
      'spring-sale~+5534984149880',
      'spring-sale~+5534984149881',
      'spring-sale~+5534984149883',
    ]);
    for (const data of byId.values()) expect(() => dialJobSchema.parse(data)).not.toThrow();
    expect(byId.get('spring-sale~+5534984149881')).toEqual({
      v: 1,
      number: '+5534984149881',
      country: 'BR',
      trunk: 'carrier',
      campaign: 'spring-sale',
      enqueuedAt: 1_750_000_000_000,
      metadata: { Name: 'Bob', City: 'Belo Horizonte, MG' },
    });
    expect(byId.get('spring-sale~+5534984149883')?.metadata).toEqual({ Name: 'Hal' });
  });

  it('reads a quoted field over two lines, then refuses the row as every dial job would be', async () => {
    const jobs: DialJob[] = [];
    const report = await importCampaignCsv({
      stream: Readable.from(['Name,Phone,City\nFay,+44 7400 123456,"Rua A, 1\n', '""Centro""",x\n']),
      campaign: 'spring-sale',
      trunk: TRUNK,
      enqueue: async (batch) => (jobs.push(...batch.map((b) => b.data)), batch.length),
    });
    expect(report).toMatchObject({ rows: 1, valid: 0, invalid: 1 });
    expect(report.errors).toEqual([
      { line: 2, input: '+44 7400 123456', reason: 'JOB_INVALID', field: 'metadata.City' },
    ]);
    const single = await importCampaignCsv({
      stream: Readable.from(['Name,Phone,City\nFay,+44 7400 123456,"Rua A, ""Centro""",x\n']),
      campaign: 'spring-sale',
      trunk: TRUNK,
      jobDefaults: { callerId: '+5534999990000' },
      enqueue: async (batch) => (jobs.push(...batch.map((b) => b.data)), batch.length),
    });
    expect(single).toMatchObject({ valid: 1 });
    expect(jobs).toHaveLength(1);
    // The extra column gets a positional name; the campaign's caller ID is on the job itself.
    expect(jobs[0]).toMatchObject({
      callerId: '+5534999990000',
      metadata: { Name: 'Fay', City: 'Rua A, "Centro"', column4: 'x' },
    });
  });

  it('takes the first column of a file without a header, numbering the others', async () => {
    const jobs: Array<{ jobId: string; data: DialJob }> = [];
    const report = await importCampaignCsv({
      stream: Readable.from(['\uFEFF+5534984149880;Ann;x\n', '34984149881;Bob\n']),
      campaign: 'spring-sale',
      trunk: { name: 'carrier' },
      defaultCountry: 'BR',
      delimiter: ';',
      enqueue: async (batch) => (jobs.push(...batch), batch.length),
    });
    expect(report).toMatchObject({ rows: 2, valid: 2, enqueued: 2, numberColumn: '#1' });
    expect(report.header).toBeUndefined();
    expect(jobs.map((j) => j.data.metadata)).toEqual([{ column2: 'Ann', column3: 'x' }, { column2: 'Bob' }]);
  });

  it('uses the named column, and refuses a column the header lacks', async () => {
    const text = 'id,mobile,landline\n1,+447400123456,+442079460000\n';
    const jobs: DialJob[] = [];
    const enqueue: EnqueueBatch = async (batch) => (jobs.push(...batch.map((b) => b.data)), batch.length);
    const base = { campaign: 'spring-sale', trunk: TRUNK, enqueue };
    await importCampaignCsv({ ...base, stream: Readable.from([text]), column: 'Landline' });
    expect(jobs.map((j) => j.number)).toEqual(['+442079460000']);

    const missing = importCampaignCsv({ ...base, stream: Readable.from([text]), column: 'msisdn' });
    await expect(missing).rejects.toThrow(InvalidCampaignError);
    await expect(
      importCampaignCsv({ ...base, stream: Readable.from([text]), column: 'msisdn' }),
    ).rejects.toThrow(/^column "msisdn": not in the header \(id, mobile, landline\)/);
  });

  it('refuses national numbers when no default country is known', async () => {
    const report = await importCampaignCsv({
      stream: Readable.from(['34984149880\n+5534984149881\n']),
      campaign: 'spring-sale',
      trunk: { name: 'carrier' },
      enqueue: async (batch) => batch.length,
    });
    expect(report).toMatchObject({ valid: 1, invalid: 1, errors: [{ line: 1, reason: 'INVALID_COUNTRY' }] });
  });

  it('keeps the first 1000 bad rows and counts the rest', async () => {
    const lines = Array.from({ length: 2500 }, (_, i) =>
      i % 2 ? 'bad' : `+4474001${String(i).padStart(5, '0')}`,
    );
    const report = await importCampaignCsv({
      stream: Readable.from([`number\n${lines.join('\n')}`]),
      campaign: 'spring-sale',
      trunk: TRUNK,
      enqueue: async (batch) => batch.length,
    });
    expect(report).toMatchObject({
      rows: 2500,
      valid: 1250,
      invalid: 1250,
      enqueued: 1250,
      errorsOmitted: 250,
    });
    expect(report.errors).toHaveLength(1000);
    expect(report.errors[0]).toEqual({ line: 3, input: 'bad', reason: 'NOT_A_NUMBER' });
    expect(report.errors[999]?.line).toBe(2001);
  });

  it.each([
    ['campaign', { campaign: 'Spring Sale' }, /^campaign "Spring Sale"/],
    ['trunk.name', { trunk: { name: 'a:b' } }, /^trunk\.name "a:b"/],
    ['defaultCountry', { defaultCountry: 'XX' }, /^defaultCountry "XX"/],
    ['batchSize', { batchSize: 0 }, /^batchSize 0/],
  ])('refuses a bad %s before reading', async (_field, override, message) => {
    const call = importCampaignCsv({
      stream: Readable.from(['+5534984149880\n']),
      campaign: 'spring-sale',
      trunk: TRUNK,
      enqueue: async (batch) => batch.length,
      ...(override as object),
    });
    await expect(call).rejects.toThrow(InvalidCampaignError);
    await expect(call).rejects.toThrow(message);
  });

  it('refuses an enqueue callback that miscounts', async () => {
    const call = importCampaignCsv({
      stream: Readable.from(['+5534984149880\n']),
      campaign: 'spring-sale',
      trunk: TRUNK,
      enqueue: async () => 2,
    });
    await expect(call).rejects.toThrow(/^enqueue 2: must resolve with the number of new jobs \(0 to 1\)/);
  });
});
