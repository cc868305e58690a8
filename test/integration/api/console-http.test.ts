import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallOutcome } from '../../../src/jobs/call-outcome.js';
import { TOKEN, apiFixture, type ApiFixture } from './api-fixture.js';
import { campaignOutcome, seedCampaign } from './seed-outcomes.js';

// The console's pages and forms without a browser: what plain HTTP (a browser without script, a
// route table) sees. The browser tests are in console.test.ts.
describe('console pages and forms over plain HTTP', () => {
  let f: ApiFixture;
  beforeAll(async () => {
    f = await apiFixture();
  });
  afterAll(async () => {
    await f?.close();
  });

  /** A browser session as `?token=` opens it: its cookie, and the CSRF token the form carries. */
  async function session(): Promise<{ cookie: string; csrf: string }> {
    const opened = await f.server.app.inject({ method: 'GET', url: `/new-campaign?token=${TOKEN}` });
    expect(opened.statusCode).toBe(303);
    const cookie = String(opened.headers['set-cookie']).split(';')[0] ?? '';
    const form = await f.server.app.inject({ method: 'GET', url: '/new-campaign', headers: { cookie } });
    const csrf = /name="csrf" value="([^"]+)"/.exec(form.body)?.[1];
    if (csrf === undefined) throw new Error(`no csrf field in the form: ${form.body.slice(0, 300)}`);
    return { cookie, csrf };
  }

  it('a campaign named `new` has its page; the new-campaign form lives outside /campaigns/', async () => {
    const created = await f.request({
      method: 'POST',
      url: '/v1/campaigns',
      payload: { name: 'new', numbers: ['+5534984180001'] },
    });
    expect(created.statusCode).toBe(201);
    const page = await f.request({ method: 'GET', url: '/campaigns/new' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('data-testid="state"');
    expect(page.body).toContain('<title>Campaign new ·');
    expect(page.body).not.toContain('data-testid="create-form"');
    const { cookie } = await session();
    const form = await f.server.app.inject({ method: 'GET', url: '/new-campaign', headers: { cookie } });
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('data-testid="create-form"');
    expect(form.body).toContain('action="/new-campaign"');
    const list = await f.request({ method: 'GET', url: '/campaigns' });
    expect(list.body).toContain('href="/new-campaign"');
    expect(list.body).toContain('href="/campaigns/new"');
  });

  const BOUNDARY = '----formdata-test-7MA4YWxkTrZu0gW';
  /** A multipart body as a browser builds it from the form, fields in this order. */
  function formBody(fields: ReadonlyArray<readonly [string, string]>, file?: string): string {
    const parts = fields.map(
      ([name, value]) =>
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
    );
    if (file !== undefined)
      parts.push(
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="leads.csv"\r\nContent-Type: text/csv\r\n\r\n${file}\r\n`,
      );
    return `${parts.join('')}--${BOUNDARY}--\r\n`;
  }
  const multipart = { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` };

  it('the new-campaign form works without script: a multipart post, its csrf field first', async () => {
    const { cookie, csrf } = await session();
    const posted = await f.server.app.inject({
      method: 'POST',
      url: '/new-campaign',
      headers: { cookie, ...multipart },
      payload: formBody(
        [
          ['csrf', csrf],
          ['name', 'plain'],
          ['trunk', 'carrier'],
          ['callerId', ''],
          ['windowStart', '09:00'],
          ['windowEnd', '20:00'],
          ['days', '1'],
          ['days', '3'],
          ['maxAttempts', '2'],
          ['column', ''],
        ],
        'number,name\n+5534984180011,Ana\nnot a number,Bob\n',
      ),
    });
    expect(posted.statusCode).toBe(201);
    expect(posted.headers['content-type']).toMatch(/^text\/html/);
    expect(posted.body).toContain('<title>New campaign ·');
    expect(posted.body).toContain('data-testid="import-accepted">1<');
    expect(posted.body).toContain('data-testid="import-rejected">1<');
    const settings = await f.server.client.redis.hget(f.server.client.keys.campaign('plain'), 'settings');
    expect(JSON.parse(settings ?? '{}')).toMatchObject({
      trunk: 'carrier',
      maxAttempts: 2,
      window: { start: '09:00', end: '20:00', days: [1, 3] },
    });

    // The token anywhere but first is no token; a bad field is named.
    const late = await f.server.app.inject({
      method: 'POST',
      url: '/new-campaign',
      headers: { cookie, ...multipart },
      payload: formBody(
        [
          ['name', 'late'],
          ['csrf', csrf],
        ],
        'number\n+5534984180012\n',
      ),
    });
    expect(late.statusCode).toBe(403);
    expect(late.json()).toMatchObject({ error: 'CSRF_REJECTED' });
    const bad = await f.server.app.inject({
      method: 'POST',
      url: '/new-campaign',
      headers: { cookie, ...multipart },
      payload: formBody(
        [
          ['csrf', csrf],
          ['name', 'bad'],
          ['maxAttempts', 'many'],
        ],
        'number\n+5534984180013\n',
      ),
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ message: expect.stringContaining('maxAttempts "many"') });
    for (const name of ['late', 'bad'])
      expect(await f.server.client.redis.exists(f.server.client.keys.campaign(name))).toBe(0);
  });

  it('refuses a forged form on its first part, while the file is still on its way', async () => {
    const { cookie } = await session();
    const { hostname, port } = new URL(await f.server.listen());
    const socket = connect(Number(port), hostname);
    const answer = new Promise<string>((resolve, reject) => {
      let text = '';
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('latin1');
        // The whole answer: its head, and as many bytes as its Content-Length says.
        const end = text.indexOf('\r\n\r\n');
        const length = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, end))?.[1];
        if (end >= 0 && length !== undefined && text.length >= end + 4 + Number(length)) resolve(text);
      });
      socket.on('error', reject);
      socket.on('close', () => resolve(text));
    });
    // A length the body never reaches: the answer can only come from the first part.
    const start = formBody([
      ['csrf', 'not-the-token'],
      ['name', 'forged'],
    ]).replace(`--${BOUNDARY}--\r\n`, '');
    socket.write(
      `POST /new-campaign HTTP/1.1\r\nHost: ${hostname}\r\nCookie: ${cookie}\r\n` +
        `Content-Type: ${multipart['content-type']}\r\nContent-Length: 1000000\r\n\r\n` +
        `${start}--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="x.csv"\r\n\r\nnumber\n+5534984180014\n`,
    );
    const head = await answer;
    socket.destroy();
    expect(head).toMatch(/^HTTP\/1\.1 403 /);
    expect(head).toContain('CSRF_REJECTED');
    expect(await f.server.client.redis.exists(f.server.client.keys.campaign('forged'))).toBe(0);
  });

  it('the campaign page shows the post-dial delay now: the median of the last five minutes, live', async () => {
    // A server of its own: the stream scans behind the figures are shared for 10 s per server,
    // and the other tests' pages would have read them before these outcomes existed.
    const f = await apiFixture();
    try {
      const numbers = ['+5534984180031', '+5534984180032', '+5534984180033', '+5534984180034'];
      // Three calls whose INVITE left seconds ago, and one of ten minutes ago, outside the window.
      const at = (outcome: CallOutcome, agoMs: number): CallOutcome => ({
        ...outcome,
        attempts: outcome.attempts.map((a) => ({
          ...a,
          startedAt: Date.now() - agoMs,
          inviteSentAt: Date.now() - agoMs,
        })),
      });
      await seedCampaign(f, 'pdd', numbers, [
        at(campaignOutcome('pdd', numbers[0] as string, 'answered', 0, 1000), 30_000),
        at(campaignOutcome('pdd', numbers[1] as string, 'busy', 0, 2500), 20_000),
        at(campaignOutcome('pdd', numbers[2] as string, 'answered', 0, 1800), 10_000),
        at(campaignOutcome('pdd', numbers[3] as string, 'busy', 0, 100), 600_000),
      ]);
      const live = await f.request({ method: 'GET', url: '/campaigns/pdd/live.json' });
      expect(live.json()).toMatchObject({
        fields: { 'pdd-now': '1800 ms', 'pdd-now-note': 'median, last 5 min · 3 calls' },
      });
      // The page shows the same figures under the ids the script rewrites from live.json.
      const page = await f.request({ method: 'GET', url: '/campaigns/pdd' });
      expect(page.body).toContain('<span data-testid="pdd-now">1800 ms</span>');
      expect(page.body).toContain('<span data-testid="pdd-now-note">median, last 5 min · 3 calls</span>');
    } finally {
      await f.close();
    }
  });
});
