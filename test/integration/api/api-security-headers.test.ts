import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFixture, type ApiFixture } from './api-fixture.js';

let f: ApiFixture;
beforeAll(async () => {
  f = await apiFixture();
});
afterAll(async () => {
  await f.close();
});

describe('security headers', () => {
  it.each([
    ['the API', '/v1/campaigns'],
    ['an API error', '/v1/nothing'],
    ['the OpenAPI document', '/docs/json'],
    ['Swagger UI', '/docs/static/index.html'],
    ['Bull Board', '/admin/queues'],
    ['the campaign page', '/campaigns/no-such-campaign'],
    ['the console list', '/'],
    ['the trunks page', '/trunks'],
    ['the console script', '/console/console.js'],
  ])('are on %s (%s)', async (_what, url) => {
    const response = await f.request({ method: 'GET', url });
    expect(response.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(response.headers['content-security-policy']).toContain("script-src 'self'");
    expect(response.headers['x-frame-options']).toBe('DENY');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['referrer-policy']).toBe('no-referrer');
  });

  it('are on a 401 too', async () => {
    const response = await f.server.app.inject({ method: 'GET', url: '/v1/campaigns' });
    expect(response.statusCode).toBe(401);
    expect(response.headers['x-frame-options']).toBe('DENY');
  });

  it('fit the pages: Swagger UI, Bull Board and the console run no inline script', async () => {
    for (const url of [
      '/docs/static/index.html',
      '/admin/queues',
      '/',
      '/campaigns',
      '/trunks',
      '/calls?q=1',
    ]) {
      const html = (await f.request({ method: 'GET', url })).body;
      const inline = [...html.matchAll(/<script(?![^>]*\bsrc=)(?![^>]*type="application\/json")[^>]*>/g)];
      expect(inline, url).toEqual([]);
    }
  });
});
