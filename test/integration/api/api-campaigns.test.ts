import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../helpers/wait-for.js';
import { apiFixture, type ApiFixture } from './api-fixture.js';

const br = (i: number): string => `(34) 98414-${String(i).padStart(4, '0')}`;

interface ImportBody {
  created: boolean;
  campaign: { name: string; state: string; total: number; pending: number };
  import: {
    rows: number;
    valid: number;
    invalid: number;
    duplicates: number;
    enqueued: number;
    errors: Array<{ line?: number; index?: number; field?: string; input: string; reason: string }>;
  };
}

describe('campaign routes', () => {
  let f: ApiFixture;
  beforeAll(async () => {
    f = await apiFixture();
  });
  afterAll(async () => {
    await f.close();
  });

  it('creates a campaign from JSON: bad numbers by index, repeats dropped, 201 then 200 with nothing new', async () => {
    const payload = {
      name: 'json-one',
      numbers: [br(1), 'call me', br(2), br(1), '+44 7400 123456'],
      window: { start: '09:00', end: '20:00', days: [1, 2, 3, 4, 5] },
      maxAttempts: 2,
    };
    const first = await f.request({ method: 'POST', url: '/v1/campaigns', payload });
    expect(first.statusCode).toBe(201);
    const body = first.json<ImportBody>();
    expect(body.created).toBe(true);
    expect(body.import).toMatchObject({ rows: 5, valid: 4, invalid: 1, duplicates: 1, enqueued: 3 });
    expect(body.import.errors).toEqual([
      { index: 1, field: 'numbers[1]', input: 'call me', reason: 'NOT_A_NUMBER' },
    ]);
    expect(body.campaign).toMatchObject({ name: 'json-one', state: 'running', total: 3, pending: 3 });
    expect(await f.server.client.queue('carrier').getJob('json-one~+5534984140001')).toBeDefined();

    const again = await f.request({ method: 'POST', url: '/v1/campaigns', payload });
    expect(again.statusCode).toBe(200);
    expect(again.json<ImportBody>()).toMatchObject({ created: false, import: { enqueued: 0 } });

    const conflict = await f.request({
      method: 'POST',
      url: '/v1/campaigns',
      payload: { ...payload, maxAttempts: 3 },
    });
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json()).toMatchObject({ error: 'CAMPAIGN_CONFLICT' });
  });

  it.each([
    [{ name: 'Bad Name', numbers: ['+5534984149880'] }, 'name'],
    [{ name: 'w1', numbers: [] }, 'numbers'],
    [{ name: 'w2', numbers: ['+5534984149880'], window: { start: '25:00', end: '20:00' } }, 'window.start'],
    [{ name: 'w3', numbers: ['+5534984149880'], trunk: 'elsewhere' }, 'trunk'],
    [{ name: 'w4', numbers: ['+5534984149880'], defaultCountry: 'ZZ' }, 'defaultCountry'],
    [{ name: 'w5', numbers: ['+5534984149880'], maxAttempts: 50 }, 'maxAttempts'],
    [{ name: 'w6', numbers: ['+5534984149880'], retryDelays: { busy: 5 } }, 'retryDelays.busy'],
    [{ name: 'w7', numbers: ['nope', 'neither'] }, 'numbers[0]'],
    [{ name: 'w8', numbers: ['+5534984149880'], amd: { greetingMs: -1 } }, 'amd.greetingMs'],
    [{ name: 'w9', numbers: ['+5534984149880'], amd: { greetMs: 1 } }, 'amd.greetMs'],
    [{ name: 'w10', numbers: ['+5534984149880'], amd: 'yes' }, 'amd'],
    [{ name: 'w11', numbers: ['+5534984149880'], script: { onMachine: 'voicemail' } }, 'script.onMachine'],
    [{ name: 'w12', numbers: ['+5534984149880'], script: { record: 'all' } }, 'script.record'],
    [
      { name: 'w13', numbers: ['+5534984149880'], script: { collect: { maxDigits: 0, timeoutMs: 500 } } },
      'script.collect.maxDigits',
    ],
    [{ name: 'w14', numbers: ['+5534984149880'], script: { hangup: true } }, 'script.hangup'],
    [{ name: 'w15', numbers: ['+5534984149880'], retryDelays: { machineMs: -5 } }, 'retryDelays.machineMs'],
  ])('400 naming the field for %j', async (payload, field) => {
    const response = await f.request({ method: 'POST', url: '/v1/campaigns', payload });
    expect(response.statusCode).toBe(400);
    const body = response.json<{ field: string; reason: string }>();
    expect(body.field).toBe(field);
    expect(body.reason.length).toBeGreaterThan(0);
  });

  it('takes amd and script settings, from JSON and from a CSV upload, and shows them back', async () => {
    const amd = { greetingMs: 1200, maxWords: 3 };
    const script = { play: 'offer.wav', onMachine: 'leaveMessage', onUnknown: 'hangup', record: 'both' };
    const json = await f.request({
      method: 'POST',
      url: '/v1/campaigns',
      payload: { name: 'amd-json', numbers: [br(21)], amd, script, retryDelays: { machineMs: 7_200_000 } },
    });
    expect(json.statusCode).toBe(201);
    const shown = await f.request({ method: 'GET', url: '/v1/campaigns/amd-json' });
    expect(shown.json()).toMatchObject({ settings: { amd, script, retryDelays: { machineMs: 7_200_000 } } });

    const query = new URLSearchParams({
      name: 'amd-csv',
      amd: 'true',
      script: JSON.stringify({ onMachine: 'hangup', record: 'callee' }),
    });
    const csv = await f.request({
      method: 'POST',
      url: `/v1/campaigns?${query}`,
      headers: { 'content-type': 'text/csv' },
      payload: `number\n${br(22)}\n`,
    });
    expect(csv.statusCode).toBe(201);
    const csvShown = await f.request({ method: 'GET', url: '/v1/campaigns/amd-csv' });
    expect(csvShown.json()).toMatchObject({
      settings: { amd: true, script: { onMachine: 'hangup', record: 'callee' } },
    });

    for (const [params, field] of [
      [{ amd: 'sure' }, 'amd'],
      [{ script: '{"onMachine":' }, 'script'],
      [{ script: '{"onMachine":"beep"}' }, 'script.onMachine'],
    ] as const) {
      const bad = await f.request({
        method: 'POST',
        url: `/v1/campaigns?${new URLSearchParams({ name: 'amd-bad', ...params })}`,
        headers: { 'content-type': 'text/csv' },
        payload: `number\n${br(23)}\n`,
      });
      expect(bad.statusCode).toBe(400);
      expect(bad.json()).toMatchObject({ field });
    }
    expect((await f.request({ method: 'GET', url: '/v1/campaigns/amd-bad' })).statusCode).toBe(404);
  });

  it('imports a CSV upload as it streams in, reporting bad rows by line', async () => {
    // 1500 good rows, then the upload stalls until the first batch of 1000 is staged: that only
    // happens if the import reads the body while it is still arriving. Staged is not queued: no
    // job is in the queue before the whole upload was read.
    const { client } = f.server;
    const queue = client.queue('carrier');
    let stalled = false;
    let queuedWhileOpen = -1;
    const staged = async (): Promise<number> => {
      const ids = await client.redis.hkeys(client.keys.imports);
      const lengths = await Promise.all(ids.map((id) => client.redis.llen(client.keys.importStage(id))));
      return lengths.reduce((a, n) => a + n, 0);
    };
    async function* body(): AsyncGenerator<string> {
      yield 'phone,name\n';
      for (let i = 0; i < 1500; i += 100) {
        yield Array.from({ length: 100 }, (_, k) => `${br(1000 + i + k)},n${i + k}\n`).join('');
      }
      await waitFor(async () => (await staged()) >= 1000, { what: 'the first 1000 rows staged' });
      queuedWhileOpen = (await queue.getJob('csv-one~+5534984141000')) === undefined ? 0 : 1;
      stalled = true;
      yield `not-a-number,bad\n${br(1000)},repeat\n,empty\n"${br(3000)}","quoted, with comma"\n`;
    }
    const response = await f.request({
      method: 'POST',
      url: '/v1/campaigns?name=csv-one&country=BR&window=09:00-18:00&days=1,2,3',
      headers: { 'content-type': 'text/csv' },
      payload: Readable.from(body()),
    });
    expect(stalled).toBe(true);
    expect(queuedWhileOpen).toBe(0);
    expect(response.statusCode).toBe(201);
    const result = response.json<ImportBody>();
    expect(result.import).toMatchObject({
      rows: 1504,
      valid: 1502,
      invalid: 2,
      duplicates: 1,
      enqueued: 1501,
    });
    expect(result.import.errors).toEqual([
      { line: 1502, input: 'not-a-number', reason: 'NOT_A_NUMBER' },
      { line: 1504, input: '', reason: 'MISSING_NUMBER' },
    ]);
    const job = await queue.getJob('csv-one~+5534984143000');
    expect(job?.data.metadata).toEqual({ name: 'quoted, with comma' });
    const summary = await f.request({ method: 'GET', url: '/v1/campaigns/csv-one' });
    expect(summary.json()).toMatchObject({
      name: 'csv-one',
      total: 1501,
      pending: 1501,
      settings: { window: { start: '09:00', end: '18:00', days: [1, 2, 3] } },
    });
  });

  it('400 with the line for a malformed CSV (unterminated quote) and for one without a valid row', async () => {
    const quote = await f.request({
      method: 'POST',
      url: '/v1/campaigns?name=csv-bad',
      headers: { 'content-type': 'text/csv' },
      payload: `number\n${br(1)}\n"${br(2)},oops\n${br(3)}\n`,
    });
    expect(quote.statusCode).toBe(400);
    expect(quote.json()).toMatchObject({
      error: 'CSV_MALFORMED',
      field: 'body',
      line: 3,
      errors: [{ line: 3, reason: 'UNTERMINATED_QUOTE' }],
    });

    const nothing = await f.request({
      method: 'POST',
      url: '/v1/campaigns?name=csv-empty',
      headers: { 'content-type': 'text/csv; charset=utf-8' },
      payload: 'number\nfoo\nbar\n',
    });
    expect(nothing.statusCode).toBe(400);
    expect(nothing.json()).toMatchObject({
      error: 'CSV_MALFORMED',
      reason: 'no row holds a valid number',
      errors: [{ line: 2 }, { line: 3 }],
    });

    const noName = await f.request({
      method: 'POST',
      url: '/v1/campaigns',
      headers: { 'content-type': 'text/csv' },
      payload: `number\n${br(1)}\n`,
    });
    expect(noName.statusCode).toBe(400);
    expect(noName.json()).toMatchObject({ field: 'name' });

    const badColumn = await f.request({
      method: 'POST',
      url: '/v1/campaigns?name=csv-col&column=msisdn',
      headers: { 'content-type': 'text/csv' },
      payload: `number\n${br(1)}\n`,
    });
    expect(badColumn.statusCode).toBe(400);
    expect(badColumn.json()).toMatchObject({ field: 'column' });
  });

  it('pauses, resumes and cancels; a cancelled campaign does not resume; unknown names are 404', async () => {
    await f.request({ method: 'POST', url: '/v1/campaigns', payload: { name: 'ctl', numbers: [br(7)] } });
    const pause = await f.request({ method: 'POST', url: '/v1/campaigns/ctl/pause' });
    expect(pause.json()).toEqual({ name: 'ctl', state: 'paused', promoted: 0 });
    expect((await f.request({ method: 'GET', url: '/v1/campaigns/ctl' })).json()).toMatchObject({
      state: 'paused',
    });
    const resume = await f.request({ method: 'POST', url: '/v1/campaigns/ctl/resume' });
    expect(resume.json()).toMatchObject({ name: 'ctl', state: 'running' });
    const cancel = await f.request({ method: 'POST', url: '/v1/campaigns/ctl/cancel' });
    expect(cancel.json()).toMatchObject({ name: 'ctl', state: 'cancelled' });
    const again = await f.request({ method: 'POST', url: '/v1/campaigns/ctl/resume' });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ error: 'CAMPAIGN_STATE_INVALID' });

    for (const url of ['/v1/campaigns/ghost', '/v1/campaigns/ghost/stats', '/v1/campaigns/ghost/outcomes']) {
      const response = await f.request({ method: 'GET', url });
      expect(response.statusCode, url).toBe(404);
      expect(response.json()).toMatchObject({ error: 'CAMPAIGN_NOT_FOUND' });
    }
    expect((await f.request({ method: 'POST', url: '/v1/campaigns/ghost/pause' })).statusCode).toBe(404);
    const badName = await f.request({ method: 'GET', url: '/v1/campaigns/NOT_OK' });
    expect(badName.statusCode).toBe(400);
    expect(badName.json()).toMatchObject({ field: 'name' });

    const list = await f.request({ method: 'GET', url: '/v1/campaigns' });
    expect(list.json<{ campaigns: Array<{ name: string }> }>().campaigns.map((c) => c.name)).toContain('ctl');
  });
});

describe('body limit', () => {
  let f: ApiFixture;
  beforeAll(async () => {
    f = await apiFixture({ bodyLimit: '2KB' });
  });
  afterAll(async () => {
    await f.close();
  });

  const bigCsv = (): string => `number\n${Array.from({ length: 300 }, (_, i) => br(i)).join('\n')}\n`;

  it('413 for a CSV upload over api.bodyLimit, with or without Content-Length', async () => {
    const declared = await f.request({
      method: 'POST',
      url: '/v1/campaigns?name=big-one',
      headers: { 'content-type': 'text/csv' },
      payload: bigCsv(),
    });
    expect(declared.statusCode).toBe(413);
    expect(declared.json()).toMatchObject({ error: 'BODY_TOO_LARGE' });

    const chunked = await f.request({
      method: 'POST',
      url: '/v1/campaigns?name=big-two',
      headers: { 'content-type': 'text/csv' },
      payload: Readable.from([bigCsv()]),
    });
    expect(chunked.statusCode).toBe(413);
    expect(chunked.json()).toMatchObject({ error: 'BODY_TOO_LARGE' });
  });

  it('413 for a JSON body over the limit', async () => {
    const response = await f.request({
      method: 'POST',
      url: '/v1/campaigns',
      payload: { name: 'big-json', numbers: Array.from({ length: 300 }, (_, i) => br(i)) },
    });
    expect(response.statusCode).toBe(413);
    expect(response.json()).toMatchObject({ error: 'BODY_TOO_LARGE' });
  });
});
