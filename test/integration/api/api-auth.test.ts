import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTH_COOKIE, tokenMatches } from '../../../src/api/index.js';
import { TOKEN, apiFixture, type ApiFixture } from './api-fixture.js';

describe('API auth', () => {
  let f: ApiFixture;
  beforeAll(async () => {
    f = await apiFixture();
  });
  afterAll(async () => {
    await f.close();
  });

  it('answers /healthz and /readyz without a token', async () => {
    const health = await f.server.app.inject({ method: 'GET', url: '/healthz' });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toEqual({ status: 'ok' });
    const ready = await f.server.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready' });
  });

  it.each([
    ['/v1/campaigns', 'GET'],
    ['/v1/calls', 'POST'],
    ['/v1/dnc/%2B5534984149880', 'GET'],
    ['/docs/json', 'GET'],
    ['/admin/queues', 'GET'],
    ['/campaigns/spring', 'GET'],
    ['/no/such/route', 'GET'],
  ] as const)('refuses %s without a token (401, WWW-Authenticate)', async (url, method) => {
    const response = await f.server.app.inject({ method, url });
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(response.json()).toMatchObject({ error: 'UNAUTHORIZED' });
  });

  it('refuses a wrong token, one of the same length, and a non-Bearer scheme', async () => {
    const sameLength = TOKEN.slice(0, -1) + (TOKEN.endsWith('T') ? 'X' : 'T');
    for (const authorization of [
      'Bearer nope',
      `Bearer ${sameLength}`,
      `Bearer ${TOKEN}x`,
      `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}`,
      TOKEN,
    ]) {
      const response = await f.request({ method: 'GET', url: '/v1/campaigns', headers: { authorization } });
      expect(response.statusCode, authorization).toBe(401);
    }
  });

  it('accepts the right token', async () => {
    const response = await f.request({ method: 'GET', url: '/v1/campaigns' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ campaigns: [] });
  });

  it('trades ?token= on a browser page for a session cookie, then drops it from the URL', async () => {
    const first = await f.server.app.inject({ method: 'GET', url: `/admin/queues?token=${TOKEN}&x=1` });
    expect(first.statusCode).toBe(303);
    expect(first.headers.location).toBe('/admin/queues?x=1');
    const cookie = String(first.headers['set-cookie']);
    expect(cookie).toMatch(new RegExp(`^${AUTH_COOKIE}=\\d+\\.\\d+\\.[\\w-]{22}\\.[\\w-]{43};`));
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).not.toContain(TOKEN);

    const session = cookie.split(';')[0]!;
    const board = await f.server.app.inject({
      method: 'GET',
      url: '/admin/queues',
      headers: { cookie: session },
    });
    expect(board.statusCode).toBe(200);
    expect(board.headers['content-type']).toMatch(/text\/html/);

    // The cookie is for pages only: the JSON API still wants the Bearer token (no CSRF via cookies).
    const api = await f.server.app.inject({
      method: 'GET',
      url: '/v1/campaigns',
      headers: { cookie: session },
    });
    expect(api.statusCode).toBe(401);
    const apiByQuery = await f.server.app.inject({ method: 'GET', url: `/v1/campaigns?token=${TOKEN}` });
    expect(apiByQuery.statusCode).toBe(401);
  });

  it('refuses a wrong ?token= and a forged cookie', async () => {
    const wrong = await f.server.app.inject({ method: 'GET', url: '/admin/queues?token=wrong-token-wrong' });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.headers['set-cookie']).toBeUndefined();
    const forged = await f.server.app.inject({
      method: 'GET',
      url: '/admin/queues',
      headers: { cookie: `${AUTH_COOKIE}=${TOKEN}` },
    });
    expect(forged.statusCode).toBe(401);
  });

  it('never writes the token to the log', async () => {
    await f.server.app.inject({ method: 'GET', url: `/docs/json?token=${TOKEN}` });
    // Encoded, the name still reaches the auth hook as `token`; the log must hide it too.
    await f.server.app.inject({ method: 'GET', url: `/docs/json?to%6Ben=${TOKEN}` });
    await f.request({ method: 'GET', url: '/v1/campaigns' });
    await f.request({ method: 'GET', url: '/v1/campaigns', headers: { authorization: `Bearer ${TOKEN}zz` } });
    expect(f.logs.length).toBeGreaterThan(2);
    expect(f.logs.some((l) => l.includes('token=[redacted]'))).toBe(true);
    for (const line of f.logs) expect(line).not.toContain(TOKEN);
  });
});

describe('tokenMatches', () => {
  it('compares whole tokens', () => {
    expect(tokenMatches('abc', 'abc')).toBe(true);
    expect(tokenMatches('abd', 'abc')).toBe(false);
    expect(tokenMatches('ab', 'abc')).toBe(false);
    expect(tokenMatches('', 'abc')).toBe(false);
    expect(tokenMatches(undefined, 'abc')).toBe(false);
  });
});
