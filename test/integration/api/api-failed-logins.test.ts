import { afterEach, describe, expect, it } from 'vitest';
import { apiFixture, TOKEN, type ApiFixture } from './api-fixture.js';

let fixture: ApiFixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

describe('failed login limit', () => {
  it('answers 429 with Retry-After after api.maxFailedLogins wrong tokens from one address', async () => {
    fixture = await apiFixture({ api: ['maxFailedLogins: 3'] });
    const f = fixture;
    const wrong = () =>
      f.request({
        method: 'GET',
        url: '/v1/campaigns',
        headers: { authorization: 'Bearer wrong-token-0123456789' },
      });
    for (let i = 0; i < 3; i++) expect((await wrong()).statusCode).toBe(401);
    const limited = await wrong();
    expect(limited.statusCode).toBe(429);
    expect(limited.json()).toMatchObject({ error: 'TOO_MANY_FAILED_LOGINS' });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // The right token from the same address waits too: the limit is on the address, not the guess.
    expect((await f.request({ method: 'GET', url: '/v1/campaigns' })).statusCode).toBe(429);
    // Another address is not held back.
    const other = await f.server.app.inject({
      method: 'GET',
      url: '/v1/campaigns',
      remoteAddress: '10.9.8.7',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(other.statusCode).toBe(200);
  });

  it('lets a client with fewer failures than the limit through', async () => {
    fixture = await apiFixture({ api: ['maxFailedLogins: 3'] });
    const f = fixture;
    for (let i = 0; i < 2; i++) {
      const r = await f.request({
        method: 'GET',
        url: '/v1/campaigns',
        headers: { authorization: 'Bearer nope-nope-nope-nope' },
      });
      expect(r.statusCode).toBe(401);
    }
    expect((await f.request({ method: 'GET', url: '/v1/campaigns' })).statusCode).toBe(200);
  });
});
