import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { CampaignStore } from '../../../src/jobs/campaign-store.js';
import { DialerClient } from '../../../src/jobs/dialer-client.js';
import { silentLogger } from '../../../src/log/create-logger.js';
import { DialerWorker } from '../../../src/workers/dialer-worker.js';
import { startSipp, type SippPeer } from '../../helpers/sipp.js';
import { writeConfigFile } from '../../helpers/worker-process.js';
import { workerConfig } from '../../helpers/worker-config.js';
import { waitFor } from '../../helpers/wait-for.js';
import { runCliCaptured as cli } from '../../helpers/run-cli-captured.js';

const redisUrl = inject('redisUrl');

async function csv(rows: string[]): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), 'campaign-')), 'numbers.csv');
  await writeFile(file, `number,name\n${rows.join('\n')}\n`);
  return file;
}

function invitesSeen(peer: SippPeer): Promise<number> {
  return peer
    .messages()
    .then((wire) => wire.filter((m) => m.direction === 'received' && m.method === 'INVITE').length);
}

/** No job of the trunk's queue is waiting, prioritized or active: a paused campaign's are all parked. */
async function allParked(client: DialerClient, trunk: string): Promise<boolean> {
  const counts = await client.queue(trunk).getJobCounts('waiting', 'prioritized', 'active');
  return counts['waiting'] === 0 && counts['prioritized'] === 0 && counts['active'] === 0;
}

describe('campaigns from the command line, with a worker dialing', () => {
  let worker: DialerWorker | undefined;
  let client: DialerClient | undefined;

  afterEach(async () => {
    await worker?.close(500);
    await client?.close();
    worker = undefined;
    client = undefined;
  });

  it('imports a CSV, honours DNC, pauses, resumes, and counts every outcome', async () => {
    const peer = await startSipp({ scenario: 'uas-answer.xml', calls: 5, timeoutMs: 60_000 });
    const { config, yaml } = await workerConfig({
      redisUrl,
      carrier: peer.uri,
      cps: 5,
      maxChannels: 2,
      maxCallLength: '1s',
    });
    const file = await writeConfigFile(yaml);
    client = new DialerClient({ redis: redisUrl, prefix: config.queuePrefix });
    const store = new CampaignStore({ redis: client.redis, keys: client.keys });

    expect((await cli(['dnc', 'add', '(34) 98414-0006', '--country', 'BR', '--config', file])).code).toBe(0);
    const numbers = await csv([
      '(34) 98414-0001,Ana',
      '(34) 98414-0002,Bruno',
      '(34) 98414-0003,Carla',
      '(34) 98414-0004,Davi',
      '(34) 98414-0005,Eva',
      '(34) 98414-0006,Fábio',
      'not-a-number,Gil',
      '(34) 98414-0001,Ana again',
    ]);
    const created = await cli([
      'campaign',
      'create',
      'spring',
      '--numbers',
      numbers,
      '--config',
      file,
      '--paused',
      '--json',
    ]);
    expect(created.code).toBe(0);
    const report = JSON.parse(created.out) as {
      enqueued: number;
      invalid: number;
      duplicates: number;
      errors: Array<{ line: number }>;
    };
    expect(report).toMatchObject({ enqueued: 6, invalid: 1, duplicates: 1 });
    expect(report.errors[0]?.line).toBe(8);
    const again = JSON.parse(
      (
        await cli([
          'campaign',
          'create',
          'spring',
          '--numbers',
          numbers,
          '--config',
          file,
          '--paused',
          '--json',
        ])
      ).out,
    ) as { enqueued: number };
    expect(again.enqueued).toBe(0);

    worker = await DialerWorker.start({ config, logger: silentLogger() });
    // Paused: jobs are taken and parked (delayed until resumed), nothing is dialed. Once no job
    // is waiting or active, none can be dialed before the resume: that is the point to look.
    await waitFor(async () => allParked(client as DialerClient, config.trunks[0]?.name ?? 'carrier'), {
      what: "allParked(client as DialerClient, config.trunks[0]?.name ?? 'carrier')",
    });
    expect(await invitesSeen(peer)).toBe(0);

    const resumed = await cli(['campaign', 'resume', 'spring', '--config', file, '--json']);
    expect(resumed.code).toBe(0);
    await waitFor(async () => (await store.status('spring')).pending === 0, {
      what: "(await store.status('spring')).pending === 0",
    });
    const status = await store.status('spring');
    expect(status.byStatus.answered).toBe(5);
    expect(status.byStatus.blocked).toBe(1);
    expect(status.total).toBe(6);
    expect(status.attempts).toBe(5);
    expect(await invitesSeen(peer)).toBe(5);

    const shown = await cli(['campaign', 'status', 'spring', '--config', file]);
    expect(shown.out).toMatch(/answered\s+5/);
    expect(shown.out).toMatch(/blocked\s+1/);
    // The second import found every number queued already: committed, nothing new.
    expect(shown.out).toMatch(/last import\s+committed at \S+: 8 rows, 0 enqueued/);
  });

  it('pause takes effect on a running campaign within a second; cancel ends what is left as cancelled', async () => {
    const peer = await startSipp({ scenario: 'uas-answer.xml', calls: 20, timeoutMs: 60_000 });
    const { config, yaml } = await workerConfig({
      redisUrl,
      carrier: peer.uri,
      cps: 4,
      maxChannels: 1,
      maxCallLength: '1s',
    });
    const file = await writeConfigFile(yaml);
    client = new DialerClient({ redis: redisUrl, prefix: config.queuePrefix });
    const store = new CampaignStore({ redis: client.redis, keys: client.keys });
    worker = await DialerWorker.start({ config, logger: silentLogger() });

    const numbers = await csv(Array.from({ length: 12 }, (_, i) => `(34) 98415-${String(1000 + i)},x`));
    expect((await cli(['campaign', 'create', 'autumn', '--numbers', numbers, '--config', file])).code).toBe(
      0,
    );
    await waitFor(async () => (await invitesSeen(peer)) >= 2, { what: '(await invitesSeen(peer)) >= 2' });
    expect((await cli(['campaign', 'pause', 'autumn', '--config', file])).code).toBe(0);
    // Calls up at the pause finish; then every job left is parked and none can be dialed.
    await waitFor(async () => allParked(client as DialerClient, config.trunks[0]?.name ?? 'carrier'), {
      what: "allParked(client as DialerClient, config.trunks[0]?.name ?? 'carrier')",
    });
    const atPause = await invitesSeen(peer);
    expect(atPause).toBeLessThan(12);
    expect(await allParked(client, config.trunks[0]?.name ?? 'carrier')).toBe(true);

    expect((await cli(['campaign', 'cancel', 'autumn', '--config', file])).code).toBe(0);
    await waitFor(async () => (await store.status('autumn')).pending === 0, {
      what: "(await store.status('autumn')).pending === 0",
    });
    const status = await store.status('autumn');
    expect(status.state).toBe('cancelled');
    expect(status.byStatus.cancelled + status.byStatus.answered).toBe(12);
    expect(status.byStatus.cancelled).toBeGreaterThan(0);
    expect(await invitesSeen(peer)).toBe(atPause);
  });
});
