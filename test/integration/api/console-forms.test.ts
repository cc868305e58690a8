import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOKEN, apiFixture, type ApiFixture } from './api-fixture.js';

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
});
