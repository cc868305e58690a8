import { connect, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { CampaignStore } from '../../../src/jobs/campaign-store.js';
import { waitFor } from '../../helpers/wait-for.js';
import { apiFixture, TOKEN, type ApiFixture } from './api-fixture.js';

const br = (i: number): string => `(34) 98414-${String(i).padStart(4, '0')}`;
const rows = (from: number, n: number): string =>
  Array.from({ length: n }, (_, i) => `${br(from + i)},person ${from + i}\n`).join('');

let f: ApiFixture | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

/** Jobs in the trunk's queue in any state a worker could take them from. */
async function queued(fixture: ApiFixture): Promise<number> {
  const counts = await fixture.server.client
    .queue('carrier')
    .getJobCounts('wait', 'delayed', 'prioritized', 'active');
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

/** Keys an import leaves while it runs: none may outlive a refused or aborted one. */
async function importLeftovers(fixture: ApiFixture): Promise<string[]> {
  const { redis, keys } = fixture.server.client;
  return [
    ...(await redis.keys(`${keys.prefix}:import:*`)),
    ...((await redis.hlen(keys.imports)) > 0 ? [keys.imports] : []),
  ];
}

async function lastImport(fixture: ApiFixture, name: string): Promise<Record<string, unknown> | undefined> {
  const response = await fixture.request({ method: 'GET', url: `/v1/campaigns/${name}` });
  if (response.statusCode !== 200) return undefined;
  return response.json<{ lastImport?: Record<string, unknown> }>().lastImport;
}

/**
 * The campaign, made before its import (with the settings the API gives it): a refused import into
 * a campaign that exists leaves it, with `lastImport` saying why; a new one would be taken back.
 */
async function existing(fixture: ApiFixture, ...names: string[]): Promise<void> {
  const { redis, keys } = fixture.server.client;
  const store = new CampaignStore({ redis, keys });
  for (const name of names) await store.create(name, { trunk: 'carrier', defaultCountry: 'BR' });
}

async function open(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  const socket = connect({ host: hostname, port: Number(port) });
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return socket;
}

describe('an import is all or nothing', () => {
  it('413 over api.bodyLimit, chunked or declared: no job queued, nothing staged left, lastImport refused', async () => {
    f = await apiFixture({ bodyLimit: '64KB' });
    await existing(f, 'big-chunked', 'big-declared');
    // Rows of 28 bytes: a batch of 1000 is staged before the body goes over the limit.
    const big = `number,name\n${rows(1000, 4000)}`;
    const pieces = Array.from({ length: Math.ceil(big.length / 16384) }, (_, i) =>
      big.slice(i * 16384, (i + 1) * 16384),
    );
    const chunked = await f.request({
      method: 'POST',
      url: '/v1/campaigns?name=big-chunked',
      headers: { 'content-type': 'text/csv' },
      payload: Readable.from(pieces),
    });
    expect(chunked.statusCode).toBe(413);
    expect(chunked.json()).toMatchObject({ error: 'BODY_TOO_LARGE' });
    expect(await queued(f)).toBe(0);
    expect(await importLeftovers(f)).toEqual([]);
    const refused = await lastImport(f, 'big-chunked');
    expect(refused).toMatchObject({ state: 'refused', reason: expect.stringMatching(/^BODY_TOO_LARGE/) });
    // At least one batch was staged before the limit struck (1000 or 2000 rows: how far the parser
    // got depends on how the stream was cut), so the refusal had staged rows to take back.
    expect(refused?.['rows']).toBeGreaterThanOrEqual(1000);
    expect(refused?.['rows']).toBeLessThan(4000);

    const declared = await f.request({
      method: 'POST',
      url: '/v1/campaigns?name=big-declared',
      headers: { 'content-type': 'text/csv' },
      payload: big,
    });
    expect(declared.statusCode).toBe(413);
    expect(await lastImport(f, 'big-declared')).toMatchObject({ state: 'refused', rows: 0 });
    expect(await queued(f)).toBe(0);
    const status = await f.request({ method: 'GET', url: '/v1/campaigns/big-chunked' });
    expect(status.json()).toMatchObject({ total: 0, pending: 0 });
  });

  it('a client that sends half a CSV then destroys the socket: no job queued, lastImport aborted', async () => {
    f = await apiFixture();
    await existing(f, 'half');
    const socket = await open(await f.server.listen());
    const half = `number,name\n${rows(1000, 2500)}`;
    socket.write(
      `POST /v1/campaigns?name=half HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\n` +
        `Content-Type: text/csv\r\nContent-Length: ${half.length * 2}\r\n\r\n`,
    );
    // A slow client: the rows go out in pieces, and the import reads (and stages) them as they come.
    for (let i = 0; i < half.length; i += 4096) socket.write(half.slice(i, i + 4096));
    const { redis, keys } = f.server.client;
    await waitFor(
      async () => {
        const [id] = await redis.hkeys(keys.imports);
        return id !== undefined && (await redis.llen(keys.importStage(id))) >= 2000;
      },
      { what: 'two batches of the half upload staged' },
    );
    socket.destroy();
    const ended = await waitFor(
      async () => {
        const last = await lastImport(f as ApiFixture, 'half');
        return last?.['state'] === 'importing' ? undefined : last;
      },
      { what: 'the import to end' },
    );
    expect(ended).toMatchObject({ state: 'aborted', reason: expect.stringMatching(/^UPLOAD_ABORTED/) });
    expect(await queued(f)).toBe(0);
    expect(await importLeftovers(f)).toEqual([]);
  });

  it('a CSV refused as malformed after good rows queues none of them', async () => {
    f = await apiFixture();
    await existing(f, 'broken');
    const response = await f.request({
      method: 'POST',
      url: '/v1/campaigns?name=broken',
      headers: { 'content-type': 'text/csv' },
      payload: `number,name\n${rows(1000, 1500)}"${br(3000)},oops\n`,
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: 'CSV_MALFORMED', import: { enqueued: 0 } });
    expect(await queued(f)).toBe(0);
    expect(await importLeftovers(f)).toEqual([]);
    expect(await lastImport(f, 'broken')).toMatchObject({
      state: 'refused',
      rows: 1500,
      reason: 'unterminated quote starting on line 1502',
    });
  });

  it('a refused first import leaves no campaign behind: no valid number, an unknown column, too large', async () => {
    f = await apiFixture({ bodyLimit: '16KB' });
    const none = await f.request({
      method: 'POST',
      url: '/v1/campaigns',
      payload: { name: 'none', numbers: ['abc'] },
    });
    expect(none.statusCode).toBe(400);
    const column = await f.request({
      method: 'POST',
      url: '/v1/campaigns?name=column&column=phone',
      headers: { 'content-type': 'text/csv' },
      payload: `number\n${br(1)}\n`,
    });
    expect(column.statusCode).toBe(400);
    const big = await f.request({
      method: 'POST',
      url: '/v1/campaigns?name=big',
      headers: { 'content-type': 'text/csv' },
      payload: Readable.from([`number,name\n${rows(0, 1000)}`]),
    });
    expect(big.statusCode).toBe(413);
    for (const name of ['none', 'column', 'big']) {
      expect((await f.request({ method: 'GET', url: `/v1/campaigns/${name}` })).statusCode).toBe(404);
    }
    const list = await f.request({ method: 'GET', url: '/v1/campaigns' });
    expect(list.body).not.toMatch(/"none"|"column"|"big"/);
    // The console's upload runs the same import, within the same limit, and says which.
    const page = await f.request({
      method: 'POST',
      url: '/new-campaign?name=page',
      headers: { 'content-type': 'text/csv' },
      payload: `number,name\n${rows(0, 1000)}`,
    });
    expect(page.statusCode).toBe(413);
    expect(page.json()).toMatchObject({
      error: 'BODY_TOO_LARGE',
      message: 'request body is larger than the limit of 16384 bytes (api.bodyLimit)',
    });
    expect((await f.request({ method: 'GET', url: '/v1/campaigns/page' })).statusCode).toBe(404);
    expect(await queued(f)).toBe(0);
    expect(await importLeftovers(f)).toEqual([]);
    // A campaign that had numbers keeps them when a later import is refused.
    const first = await f.request({
      method: 'POST',
      url: '/v1/campaigns',
      payload: { name: 'kept', numbers: [br(2)] },
    });
    expect(first.statusCode).toBe(201);
    const again = await f.request({
      method: 'POST',
      url: '/v1/campaigns',
      payload: { name: 'kept', numbers: ['abc'] },
    });
    expect(again.statusCode).toBe(400);
    const kept = await f.request({ method: 'GET', url: '/v1/campaigns/kept' });
    expect(kept.json()).toMatchObject({ state: 'running', total: 1, lastImport: { state: 'refused' } });
  });

  it('a whole upload commits: every row queued at once, lastImport committed', async () => {
    f = await apiFixture();
    const response = await f.request({
      method: 'POST',
      url: '/v1/campaigns?name=whole',
      headers: { 'content-type': 'text/csv' },
      payload: Readable.from([`number,name\n${rows(1000, 1200)}`, rows(2200, 300)]),
    });
    expect(response.statusCode).toBe(201);
    expect(response.json()).toMatchObject({
      import: { rows: 1500, enqueued: 1500 },
      campaign: { total: 1500, lastImport: { state: 'committed', rows: 1500, enqueued: 1500 } },
    });
    expect(await queued(f)).toBe(1500);
    expect(await importLeftovers(f)).toEqual([]);
    const job = await f.server.client.queue('carrier').getJob('whole~+5534984141000');
    expect(job?.data).toMatchObject({ importId: expect.any(String), metadata: { name: 'person 1000' } });
  });
});
