import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { CampaignControl } from '../../../src/jobs/campaign-control.js';
import { parseCampaignControlMessage } from '../../../src/jobs/campaign-control-message.js';
import { CampaignStateError } from '../../../src/jobs/campaign-state-error.js';
import { CampaignStore } from '../../../src/jobs/campaign-store.js';
import { createCampaignAndImport } from '../../../src/jobs/create-campaign-and-import.js';
import { DialerClient } from '../../../src/jobs/dialer-client.js';
import { OutcomeStore } from '../../../src/jobs/outcome-store.js';
import { campaignOutcome } from '../api/seed-outcomes.js';
import { waitFor } from '../../helpers/wait-for.js';

const redisUrl = inject('redisUrl');
const N1 = '+5534984140001';
const N2 = '+5534984140002';
const N3 = '+5534984140003';

let client: DialerClient;
let store: CampaignStore;
let outcomes: OutcomeStore;
let control: CampaignControl;
let listener: Redis;
let heard: string[];

beforeEach(async () => {
  client = new DialerClient({ redis: redisUrl, prefix: `{t-done-${randomUUID()}}` });
  store = new CampaignStore({ redis: client.redis, keys: client.keys });
  outcomes = new OutcomeStore({ redis: client.redis, keys: client.keys });
  control = new CampaignControl(client, store);
  listener = new Redis(redisUrl);
  heard = [];
  listener.on('message', (_channel: string, payload: string) => {
    const message = parseCampaignControlMessage(payload);
    if (message) heard.push(`${message.name}:${message.state}`);
  });
  await listener.subscribe(client.keys.control);
});
afterEach(async () => {
  listener.disconnect();
  const found = await client.redis.keys(`${client.keys.prefix}*`);
  if (found.length > 0) await client.redis.del(...found);
  await client.close();
});

async function importNumbers(name: string, numbers: readonly string[], state?: 'paused'): Promise<void> {
  const result = await createCampaignAndImport(
    { client, store },
    {
      name,
      settings: { trunk: 'carrier' },
      ...(state !== undefined && { state }),
      stream: Readable.from([`number\n${numbers.join('\n')}\n`]),
    },
  );
  expect(result.lastImport.state).toBe('committed');
}

const finish = (name: string, e164: string) =>
  outcomes.writeOnce(campaignOutcome(name, e164, 'busy', 0, 100));

describe('a campaign ends', () => {
  it('completes with its last final outcome (state, completedAt, announced), and new numbers reopen it', async () => {
    await importNumbers('spring', [N1, N2]);
    await finish('spring', N1);
    expect((await store.status('spring')).state).toBe('running');
    await finish('spring', N2);
    // The same outcome again (a retried write) counts nothing and changes nothing.
    await finish('spring', N2);
    const done = await store.status('spring');
    expect(done).toMatchObject({ state: 'completed', total: 2, pending: 0 });
    expect(done.completedAt).toEqual(expect.any(Number));
    expect((await store.get('spring'))?.state).toBe('completed');
    await waitFor(() => heard.includes('spring:completed'), { what: 'the completion announced' });

    // Nothing is left to pause, resume or cancel.
    await expect(control.pause('spring')).rejects.toThrow(CampaignStateError);
    await expect(control.cancel('spring')).rejects.toThrow(CampaignStateError);

    await importNumbers('spring', [N3]);
    const reopened = await store.status('spring');
    expect(reopened).toMatchObject({ state: 'running', total: 3, pending: 1 });
    expect(reopened.completedAt).toBeUndefined();
    await waitFor(() => heard.includes('spring:running'), { what: 'the reopening announced' });
    await finish('spring', N3);
    expect((await store.status('spring')).state).toBe('completed');
  });

  it('a paused campaign whose last calls end stays paused, and completes when resumed', async () => {
    await importNumbers('held', [N1, N2]);
    await control.pause('held');
    await finish('held', N1);
    await finish('held', N2);
    expect((await store.status('held')).state).toBe('paused');
    expect(await control.resume('held')).toMatchObject({ state: 'completed' });
    expect((await store.status('held')).state).toBe('completed');
  });

  it('a cancelled campaign stays cancelled when its last numbers end', async () => {
    await importNumbers('stopped', [N1]);
    await control.cancel('stopped');
    await outcomes.writeOnce(campaignOutcome('stopped', N1, 'cancelled', 0, undefined));
    expect((await store.status('stopped')).state).toBe('cancelled');
  });

  it('a running campaign with numbers left is not completed by a resume', async () => {
    await importNumbers('half', [N1, N2], 'paused');
    await finish('half', N1);
    expect(await control.resume('half')).toMatchObject({ state: 'running' });
    expect((await store.status('half')).state).toBe('running');
  });
});
