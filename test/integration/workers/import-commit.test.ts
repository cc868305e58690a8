import { randomUUID } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { DncList } from '../../../src/compliance/dnc-list.js';
import { CampaignStore } from '../../../src/jobs/campaign-store.js';
import { createCampaignAndImport } from '../../../src/jobs/create-campaign-and-import.js';
import { DialerClient } from '../../../src/jobs/dialer-client.js';
import { ImportStage } from '../../../src/jobs/import-stage.js';
import { ImportInProgressError } from '../../../src/jobs/import-in-progress-error.js';
import {
  IMPORT_ABORT_GRACE_MS,
  recoverInterruptedImports,
} from '../../../src/jobs/recover-interrupted-imports.js';
import { silentLogger } from '../../../src/log/create-logger.js';
import { CampaignStateCache } from '../../../src/workers/campaign-state-cache.js';
import { TrunkCircuit } from '../../../src/workers/trunk-circuit.js';
import { TrunkDialGate } from '../../../src/workers/trunk-dial-gate.js';
import { TrunkLimiter } from '../../../src/workers/trunk-limiter.js';
import { waitFor } from '../../helpers/wait-for.js';

const redisUrl = inject('redisUrl');
/** The gate's clock: its delays are read against it, never against the wall clock. */
const NOW = 1_750_000_000_000;
const csv = (n: number): string =>
  `number\n${Array.from({ length: n }, (_, i) => `+55349841${String(40000 + i)}\n`).join('')}`;

let client: DialerClient;
let store: CampaignStore;
beforeEach(() => {
  client = new DialerClient({ redis: redisUrl, prefix: `{t-import-${randomUUID()}}` });
  store = new CampaignStore({ redis: client.redis, keys: client.keys });
});
afterEach(async () => {
  const found = (await Promise.all(client.keys.patterns.map((p) => client.redis.keys(p)))).flat();
  if (found.length > 0) await client.redis.del(...found);
  await client.close();
});

function rows(campaign: string, importId: string, from: number, count: number) {
  return Array.from({ length: count }, (_, i) => {
    const number = `+55349842${String(10000 + from + i)}`;
    return {
      jobId: `${campaign}~${number}`,
      data: { v: 1 as const, number, trunk: 'carrier', campaign, importId, enqueuedAt: 0 },
    };
  });
}

async function queued(): Promise<number> {
  const counts = await client.queue('carrier').getJobCounts('wait', 'delayed', 'prioritized', 'active');
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

describe('committing an import', () => {
  it('the worker gate holds back a job of an import not committed, and lets it go once committed', async () => {
    await store.create('gated', { trunk: 'carrier' });
    const stage = await ImportStage.open(client, 'gated', 'carrier');
    const limiter = new TrunkLimiter({
      redis: client.redis,
      keys: client.keys,
      trunk: 'carrier',
      cps: 100,
      maxChannels: 10,
    });
    const circuit = new TrunkCircuit({ redis: client.redis, keys: client.keys, trunk: 'carrier' });
    try {
      const gate = new TrunkDialGate({
        redis: client.redis,
        keys: client.keys,
        campaigns: new CampaignStateCache(store),
        dnc: new DncList({ redis: client.redis, keys: client.keys }),
        limiter,
        circuit,
        logger: silentLogger(),
        now: () => NOW,
      });
      const job = {
        v: 1 as const,
        number: '+5534984149880',
        country: 'BR',
        trunk: 'carrier',
        campaign: 'gated',
        importId: stage.id,
        enqueuedAt: Date.now(),
      };
      expect(await gate.check(job, 'gated~+5534984149880')).toMatchObject({
        kind: 'delay',
        reason: `import ${stage.id} not committed`,
      });
      await stage.add([{ jobId: 'gated~+5534984149880', data: job }]);
      const added = await stage.commit(100);
      expect(added).toBe(1);
      // Queued, yet still held back: the commit point has not passed.
      expect(await gate.check(job, 'gated~+5534984149880')).toMatchObject({ kind: 'delay' });
      expect(await stage.finish(added, { state: 'committed', importId: stage.id, rows: 1, at: '' })).toBe(
        true,
      );
      const verdict = await gate.check(job, 'gated~+5534984149880');
      expect(verdict.kind).toBe('go');
      if (verdict.kind === 'go') await verdict.release();
      expect((await store.status('gated')).total).toBe(1);

      // An import whose importer died (lease gone) holds its jobs back until a recovery removes
      // them, and workers look at them again only after the park time, not every second.
      const dead = await ImportStage.open(client, 'gated', 'carrier');
      dead.close();
      await client.redis.del(client.keys.importLease(dead.id));
      const parked = await gate.check({ ...job, importId: dead.id }, 'gated~+5534984149880');
      expect(parked).toMatchObject({ kind: 'delay', reason: `import ${dead.id} not committed` });
      expect(parked.kind === 'delay' && parked.until - NOW).toBeGreaterThanOrEqual(3_600_000);
      await client.redis.hdel(client.keys.imports, dead.id);
      await client.redis.del(client.keys.campaignImport('gated'));

      // A job looked at while its import commits: the check's reads and the commit go out on one
      // connection, the commit between them. It is held back briefly or let go, never taken for an
      // orphan and parked for an hour (the entry read before the commit, the lease after it).
      const racing = await ImportStage.open(client, 'gated', 'carrier');
      const raced = { ...job, number: '+5534984149881', importId: racing.id };
      await racing.add([{ jobId: 'gated~+5534984149881', data: raced }]);
      const racedAdded = await racing.commit(100);
      const [verdict2, finished] = await Promise.all([
        gate.check(raced, 'gated~+5534984149881'),
        racing.finish(racedAdded, { state: 'committed', importId: racing.id, rows: 1, at: '' }),
      ]);
      expect(finished).toBe(true);
      if (verdict2.kind === 'go') await verdict2.release();
      expect(verdict2.kind === 'delay' ? verdict2.until - NOW : 0).toBeLessThan(60_000);
      racing.close();
    } finally {
      stage.close();
      limiter.close();
      circuit.close();
    }
  });

  it('an import whose process died mid-commit is taken back by the next one: its jobs removed, lastImport aborted', async () => {
    await store.create('crashed', { trunk: 'carrier' });
    const stage = await ImportStage.open(client, 'crashed', 'carrier');
    await store.recordImport('crashed', { state: 'importing', importId: stage.id, rows: 0, at: '' });
    const jobs = Array.from({ length: 250 }, (_, i) => {
      const number = `+55349841${String(50000 + i)}`;
      return {
        jobId: `crashed~${number}`,
        data: {
          v: 1 as const,
          number,
          trunk: 'carrier',
          campaign: 'crashed',
          importId: stage.id,
          enqueuedAt: 0,
        },
      };
    });
    await stage.add(jobs);
    await stage.commit(100);
    expect(await queued()).toBe(250);
    // The process dies: no renewal, no finish, no clean-up; its lease runs out.
    stage.close();
    await client.redis.del(client.keys.importLease(stage.id));

    const result = await createCampaignAndImport(
      { client, store },
      { name: 'next', settings: { trunk: 'carrier' }, stream: Readable.from([csv(3)]) },
    );
    expect(result.lastImport).toMatchObject({ state: 'committed', enqueued: 3 });
    expect(await queued()).toBe(3);
    expect(await client.redis.keys(`${client.keys.prefix}:import:*`)).toEqual([]);
    expect((await store.status('crashed')).lastImport).toMatchObject({
      state: 'aborted',
      reason: expect.stringMatching(/^IMPORT_INTERRUPTED/),
    });
    // Its entry, marked aborted, keeps gating for the grace time (a stalled importer may still
    // have a batch on its way), then the next pass drops it.
    const entry = JSON.parse((await client.redis.hget(client.keys.imports, stage.id)) ?? '{}') as {
      abortedAt?: number;
    };
    expect(entry.abortedAt).toBeTypeOf('number');
    expect(await recoverInterruptedImports({ client, store })).toEqual([]);
    expect(await client.redis.hlen(client.keys.imports)).toBe(1);
    const later = (entry.abortedAt ?? 0) + IMPORT_ABORT_GRACE_MS + 1;
    expect(await recoverInterruptedImports({ client, store, now: () => later })).toEqual([]);
    expect(await client.redis.hlen(client.keys.imports)).toBe(0);
  });

  it('an importer that stalled past its lease and was taken back cannot commit, and its late batch stays gated until removed', async () => {
    await store.create('stalled', { trunk: 'carrier' });
    const stage = await ImportStage.open(client, 'stalled', 'carrier');
    const jobs = rows('stalled', stage.id, 0, 300);
    await stage.add(jobs);
    expect(await stage.commit(100)).toBe(300);
    // Before its commit point the importer stalls past its lease, and a recovery claims the import.
    stage.close();
    await client.redis.del(client.keys.importLease(stage.id));
    expect(await recoverInterruptedImports({ client, store })).toEqual([stage.id]);
    expect(await queued()).toBe(0);
    // It wakes up: it can neither commit more nor make anything count.
    await expect(stage.commit(100)).rejects.toThrow(/taken back by a recovery/);
    expect(await stage.finish(300, { state: 'committed', importId: stage.id, rows: 300, at: '' })).toBe(
      false,
    );
    expect((await store.status('stalled')).total).toBe(0);

    // The batch that was on its way when the claim came lands after the recovery's pass: what the
    // stalled commit does (queue it, then list it) is done here by hand.
    const late = rows('stalled', stage.id, 300, 5);
    await client.addJobs('carrier', late);
    await client.redis.rpush(client.keys.importAdded(stage.id), ...late.map((j) => j.jobId));
    expect(await client.redis.hexists(client.keys.imports, stage.id)).toBe(1);
    expect(await queued()).toBe(5);
    // A pass within the grace removes them and keeps the entry; one after it drops the entry too.
    expect(await recoverInterruptedImports({ client, store })).toEqual([]);
    expect(await queued()).toBe(0);
    expect(await client.redis.hexists(client.keys.imports, stage.id)).toBe(1);
    const later = Date.now() + IMPORT_ABORT_GRACE_MS + 1;
    await recoverInterruptedImports({ client, store, now: () => later });
    expect(await client.redis.hexists(client.keys.imports, stage.id)).toBe(0);
  });

  it('an importer whose lease lapsed in a stall gets it back when no recovery took the import', async () => {
    await store.create('slow', { trunk: 'carrier' });
    const stage = await ImportStage.open(client, 'slow', 'carrier', { renewEveryMs: 50 });
    try {
      await client.redis.del(client.keys.importLease(stage.id), client.keys.campaignImport('slow'));
      await waitFor(async () => (await client.redis.exists(client.keys.importLease(stage.id))) === 1, {
        what: 'the renewal to set the lapsed lease again',
      });
      expect(await client.redis.get(client.keys.campaignImport('slow'))).toBe(stage.id);
      await stage.add(rows('slow', stage.id, 0, 3));
      const added = await stage.commit(100);
      expect(await stage.finish(added, { state: 'committed', importId: stage.id, rows: 3, at: '' })).toBe(
        true,
      );
      expect((await store.status('slow')).total).toBe(3);
    } finally {
      stage.close();
    }
  });

  it('one import per campaign at a time: a second one is refused with IMPORT_IN_PROGRESS and counts nothing', async () => {
    const upload = new PassThrough();
    const first = createCampaignAndImport(
      { client, store },
      { name: 'twice', settings: { trunk: 'carrier' }, stream: upload },
    );
    upload.write(csv(10));
    await waitFor(async () => (await client.redis.exists(client.keys.campaignImport('twice'))) === 1, {
      what: 'the first import to hold the campaign',
    });
    const second = createCampaignAndImport(
      { client, store },
      { name: 'twice', settings: { trunk: 'carrier' }, stream: Readable.from([csv(10)]) },
    );
    await expect(second).rejects.toBeInstanceOf(ImportInProgressError);
    await expect(second).rejects.toMatchObject({ code: 'IMPORT_IN_PROGRESS', campaign: 'twice' });
    upload.end();
    expect((await first).lastImport).toMatchObject({ state: 'committed', enqueued: 10 });
    expect((await store.status('twice')).total).toBe(10);
    // The campaign is free again: the same rows once more are all duplicates, and count nothing.
    const third = await createCampaignAndImport(
      { client, store },
      { name: 'twice', settings: { trunk: 'carrier' }, stream: Readable.from([csv(10)]) },
    );
    expect(third.lastImport).toMatchObject({ state: 'committed', enqueued: 0 });
    expect((await store.status('twice')).total).toBe(10);
  });

  it('a stream that fails midway leaves no job and no staged rows, and says why', async () => {
    async function* broken(): AsyncGenerator<string> {
      yield csv(2500);
      throw new Error('disk went away');
    }
    // Made first: a campaign created by the failed import itself would be taken back with it.
    await store.create('midway', { trunk: 'carrier' });
    await expect(
      createCampaignAndImport(
        { client, store },
        { name: 'midway', settings: { trunk: 'carrier' }, stream: Readable.from(broken()) },
      ),
    ).rejects.toThrow('disk went away');
    expect(await queued()).toBe(0);
    expect(await client.redis.keys(`${client.keys.prefix}:import*`)).toEqual([]);
    expect((await store.status('midway')).lastImport).toMatchObject({
      state: 'aborted',
      rows: 2000,
      reason: 'IMPORT_FAILED: disk went away',
    });
  });

  it('a campaign created by an import that fails midway is taken back with it', async () => {
    async function* broken(): AsyncGenerator<string> {
      yield csv(1500);
      throw new Error('disk went away');
    }
    await expect(
      createCampaignAndImport(
        { client, store },
        { name: 'gone', settings: { trunk: 'carrier' }, stream: Readable.from(broken()) },
      ),
    ).rejects.toThrow('disk went away');
    expect(await store.get('gone')).toBeUndefined();
    expect((await store.list()).map((c) => c.name)).not.toContain('gone');
    expect(await queued()).toBe(0);
  });
});
