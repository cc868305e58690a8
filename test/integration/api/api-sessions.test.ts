import { request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { AUTH_COOKIE, browserSessionValue } from '../../../src/api/index.js';
import { apiFixture, TOKEN, type ApiFixture } from './api-fixture.js';

const VIEWER_TOKEN = 'viewer-0123456789-abcdef';

let fixture: ApiFixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

/** The session cookie a `?token=` visit sets, as `name=value` for a Cookie header. */
async function logIn(f: ApiFixture, token = TOKEN): Promise<{ cookie: string; setCookie: string }> {
  const first = await f.server.app.inject({ method: 'GET', url: `/admin/queues?token=${token}` });
  expect(first.statusCode).toBe(303);
  const setCookie = String(first.headers['set-cookie']);
  return { cookie: setCookie.split(';')[0]!, setCookie };
}

const board = (f: ApiFixture, cookie: string) =>
  f.server.app.inject({ method: 'GET', url: '/admin/queues', headers: { cookie } });

describe('browser sessions', () => {
  it('gives the cookie a Max-Age of api.sessionTtl', async () => {
    fixture = await apiFixture({ api: ['sessionTtl: 30m'] });
    const { setCookie } = await logIn(fixture);
    expect(setCookie).toMatch(/; Max-Age=1800(;|$)/);
  });

  it('refuses an expired session as unauthenticated, clears it, and counts it as a failed login', async () => {
    fixture = await apiFixture({ api: ['sessionTtl: 1h', 'maxFailedLogins: 2'] });
    const f = fixture;
    const admin = f.config.api.tokens[0]!;
    // Opened two hours ago for an hour: what a browser would still send if the client ignored Max-Age.
    const stale = `${AUTH_COOKIE}=${browserSessionValue(admin, Date.now() - 2 * 3_600_000, 3_600_000)}`;
    const refused = await board(f, stale);
    expect(refused.statusCode).toBe(401);
    expect(refused.json()).toMatchObject({
      error: 'UNAUTHORIZED',
      message: expect.stringMatching(/expired/),
    });
    expect(String(refused.headers['set-cookie'])).toMatch(new RegExp(`^${AUTH_COOKIE}=; .*Max-Age=0`));
    expect((await board(f, stale)).statusCode).toBe(401);
    expect((await board(f, stale)).statusCode).toBe(429);
  });

  it('refuses a session whose expiry the client moved, and one made for a longer TTL', async () => {
    fixture = await apiFixture({ api: ['sessionTtl: 1h'] });
    const f = fixture;
    const { cookie } = await logIn(f);
    expect((await board(f, cookie)).statusCode).toBe(200);
    const [name, value] = cookie.split('=') as [string, string];
    const [issued, expires, mac] = value.split('.') as [string, string, string];
    const extended = `${name}=${issued}.${Number(expires) + 86_400}.${mac}`;
    const tampered = await board(f, extended);
    expect(tampered.statusCode).toBe(401);
    expect(tampered.json()).toMatchObject({ message: expect.stringMatching(/invalid session/) });
    // Authentic, but longer than this server's TTL (issued before it was shortened).
    const long = `${AUTH_COOKIE}=${browserSessionValue(f.config.api.tokens[0]!, Date.now(), 24 * 3_600_000)}`;
    expect((await board(f, long)).statusCode).toBe(401);
  });

  it('lets a browser with an expired cookie log in again with ?token=', async () => {
    fixture = await apiFixture();
    const f = fixture;
    const stale = `${AUTH_COOKIE}=${browserSessionValue(f.config.api.tokens[0]!, 0, 1_000)}`;
    const again = await f.server.app.inject({
      method: 'GET',
      url: `/admin/queues?token=${TOKEN}`,
      headers: { cookie: stale },
    });
    expect(again.statusCode).toBe(303);
    const fresh = String(again.headers['set-cookie']).split(';')[0]!;
    expect((await board(f, fresh)).statusCode).toBe(200);
  });

  it("carries the token's role: a viewer's session may read the board but not write to it", async () => {
    fixture = await apiFixture({
      api: ['tokens:', `  - { name: wall, token: ${VIEWER_TOKEN}, role: viewer }`],
    });
    const f = fixture;
    const viewer = await logIn(f, VIEWER_TOKEN);
    expect((await board(f, viewer.cookie)).statusCode).toBe(200);
    const write = { method: 'PUT', url: '/admin/queues/api/queues/pause' } as const;
    const refused = await f.server.app.inject({ ...write, headers: { cookie: viewer.cookie } });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ error: 'FORBIDDEN', message: expect.stringMatching(/viewer/) });
    const admin = await logIn(f);
    const allowed = await f.server.app.inject({ ...write, headers: { cookie: admin.cookie } });
    expect(allowed.statusCode).not.toBe(403);
    expect(allowed.statusCode).not.toBe(401);
  });
});

/** A GET over a real socket from `localAddress`, returning the Set-Cookie header. */
function loginOverSocket(base: string, localAddress: string, headers: Record<string, string>) {
  return new Promise<{ status: number; setCookie: string }>((resolve, reject) => {
    const req = httpRequest(
      new URL(`/admin/queues?token=${TOKEN}`, base),
      { localAddress, headers: { ...headers, connection: 'close' } },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, setCookie: String(res.headers['set-cookie'] ?? '') }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('api.trustProxy and the Secure cookie', () => {
  const viaTls = { 'x-forwarded-proto': 'https', 'x-forwarded-for': '198.51.100.7' };

  it('ignores X-Forwarded-Proto by default', async () => {
    fixture = await apiFixture();
    const base = await fixture.server.listen();
    const login = await loginOverSocket(base, '127.0.0.1', viaTls);
    expect(login.status).toBe(303);
    expect(login.setCookie).toContain(`${AUTH_COOKIE}=`);
    expect(login.setCookie).not.toMatch(/Secure/);
  });

  it('marks the cookie Secure behind a trusted TLS proxy, and not for a client that is not the proxy', async () => {
    fixture = await apiFixture({ api: ['trustProxy: [127.0.0.1]'] });
    const base = await fixture.server.listen();
    const proxied = await loginOverSocket(base, '127.0.0.1', viaTls);
    expect(proxied.status).toBe(303);
    expect(proxied.setCookie).toMatch(/; Secure(;|$)/);
    // Another loopback address: a client reaching the server directly, sending the header itself.
    const direct = await loginOverSocket(base, '127.0.0.2', viaTls);
    expect(direct.status).toBe(303);
    expect(direct.setCookie).toContain(`${AUTH_COOKIE}=`);
    expect(direct.setCookie).not.toMatch(/Secure/);
  });

  it('counts failed logins per forwarded client behind a trusted proxy', async () => {
    fixture = await apiFixture({ api: ['trustProxy: [127.0.0.1]', 'maxFailedLogins: 1'] });
    const f = fixture;
    const wrong = (client: string) =>
      f.server.app.inject({
        method: 'GET',
        url: '/v1/campaigns',
        remoteAddress: '127.0.0.1',
        headers: { authorization: 'Bearer wrong-token-0123456789', 'x-forwarded-for': client },
      });
    expect((await wrong('198.51.100.7')).statusCode).toBe(401);
    expect((await wrong('198.51.100.7')).statusCode).toBe(429);
    // Another client behind the same proxy is not held back by the first one's guesses.
    expect((await wrong('198.51.100.8')).statusCode).toBe(401);
  });
});
