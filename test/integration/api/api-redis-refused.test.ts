import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer, type ApiServer } from '../../../src/api/index.js';
import { parseConfig } from '../../../src/config/load-config.js';
import { OwnRedis } from '../../helpers/own-redis.js';
import { TOKEN } from './api-fixture.js';

const PASSWORD = 'refused-redis-pw-5c2e81d7';
const WRONG = 'refused-redis-pw-stale-0a9f';
const NO_RIGHTS_PASSWORD = 'no-rights-pw-77b3e2a1';
// "Hangs" was more than 100 s; the server gives up on Redis after 2 s. A loaded 2-core machine
// stretches that, and 20 s still tells an answer from a hang.
const DEADLINE_MS = 20_000;

const NUMBER = '+5534984149880';
/** A valid body per route, so each request reaches the point where it needs Redis. */
const BODIES: Record<string, unknown> = {
  'POST /v1/calls': { number: NUMBER },
  'POST /v1/campaigns': { name: 'spring', numbers: [NUMBER] },
  'POST /v1/dnc': { numbers: [NUMBER] },
  'POST /v1/campaigns/{name}/dnc': { numbers: [NUMBER] },
};
const PARAMS: Record<string, string> = { name: 'spring', id: 'job-1', number: encodeURIComponent(NUMBER) };
const WITHOUT_REDIS = new Set(['/healthz', '/readyz']);
/** Routes answered without Redis on one method only: the new-campaign form is static HTML. */
const WITHOUT_REDIS_ROUTES = new Set(['GET /new-campaign']);
/** Bodies that are no JSON: the console's upload is the CSV itself. */
const CSV_BODIES: Record<string, string> = { 'POST /new-campaign': `number\n${NUMBER}\n` };
/** A query that makes a route read Redis (the call search page without one is an empty form, and a text that is no number or job id is answered without Redis). */
const QUERIES: Record<string, string> = {
  '/calls': `?q=${encodeURIComponent(NUMBER)}`,
  '/new-campaign': '?name=spring',
};

interface Route {
  readonly method: string;
  readonly path: string;
}

/** Every route of the OpenAPI document that needs Redis, plus Bull Board's API. */
function redisRoutes(server: ApiServer): Route[] {
  const doc = server.app.swagger() as { paths: Record<string, Record<string, unknown>> };
  const routes = Object.entries(doc.paths)
    .filter(([path]) => !WITHOUT_REDIS.has(path))
    .flatMap(([path, methods]) => Object.keys(methods).map((m) => ({ method: m.toUpperCase(), path })))
    .filter((r) => !WITHOUT_REDIS_ROUTES.has(`${r.method} ${r.path}`));
  return [...routes, { method: 'GET', path: '/admin/queues/api/queues' }];
}

async function call(
  base: string,
  route: Route,
): Promise<{ status: number; body: string; retryAfter: string | null }> {
  const url =
    base +
    route.path.replace(/\{(\w+)\}/g, (_, name: string) => PARAMS[name] ?? name) +
    (QUERIES[route.path] ?? '');
  const payload = BODIES[`${route.method} ${route.path}`];
  const csv = CSV_BODIES[`${route.method} ${route.path}`];
  const response = await fetch(url, {
    method: route.method,
    headers: {
      authorization: `Bearer ${TOKEN}`,
      ...(payload !== undefined && { 'content-type': 'application/json' }),
      ...(csv !== undefined && { 'content-type': 'text/csv' }),
    },
    ...(payload !== undefined && { body: JSON.stringify(payload) }),
    ...(csv !== undefined && { body: csv }),
    signal: AbortSignal.timeout(DEADLINE_MS),
  });
  return {
    status: response.status,
    body: await response.text(),
    retryAfter: response.headers.get('retry-after'),
  };
}

function configFor(redisUrl: string) {
  return parseConfig(
    `redis: ${redisUrl}\nqueuePrefix: "{refused-${process.pid}}"\ntrunks:\n  - name: carrier\n    domain: carrier.test\n    defaultCountry: BR\napi: { token: ${TOKEN} }\n`,
    {},
  );
}

describe('API against a Redis that refuses it', () => {
  let redis: OwnRedis;
  beforeAll(async () => {
    redis = await OwnRedis.start({ appendonly: false, requirepass: PASSWORD });
    // An ACL user that logs in but may run nothing: INFO, GET, EVALSHA… all answer NOPERM.
    const admin = new Redis(redis.url, { password: PASSWORD });
    await admin.call('ACL', 'SETUSER', 'norights', 'on', `>${NO_RIGHTS_PASSWORD}`);
    await admin.quit();
  });
  afterAll(async () => {
    await redis.stop();
  });

  for (const [label, secret, url] of [
    ['a wrong password', WRONG, () => `redis://:${WRONG}@127.0.0.1:${redis.port}`],
    [
      'an ACL user without rights',
      NO_RIGHTS_PASSWORD,
      () => `redis://norights:${NO_RIGHTS_PASSWORD}@127.0.0.1:${redis.port}`,
    ],
  ] as const) {
    it(
      `with ${label}, every Redis-backed route answers 503 REDIS_UNAVAILABLE, naming neither the password nor where Redis is`,
      async () => {
        const server = await createApiServer({
          config: configFor(url()),
          listen: { host: '127.0.0.1', port: 0 },
        });
        try {
          const base = await server.listen();
          const routes = redisRoutes(server);
          expect(routes.length).toBeGreaterThan(15);
          for (const route of routes) {
            const answer = await call(base, route);
            const what = `${route.method} ${route.path}: ${answer.status} ${answer.body}`;
            expect(answer.status, what).toBe(503);
            expect(JSON.parse(answer.body), what).toMatchObject({ error: 'REDIS_UNAVAILABLE' });
            expect(answer.body, what).not.toContain(`127.0.0.1:${redis.port}`);
            expect(answer.body, what).not.toContain('norights');
            expect(answer.body, what).not.toContain(secret);
            expect(answer.retryAfter, what).not.toBeNull();
          }
          const ready = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(DEADLINE_MS) });
          expect(ready.status).toBe(503);
          expect((await fetch(`${base}/healthz`)).status).toBe(200);
        } finally {
          await server.close();
        }
      },
      DEADLINE_MS * 30,
    );
  }
});

describe('API when Redis goes away and comes back', () => {
  it(
    'answers 503 while Redis is down, then 2xx again by itself, calls included',
    async () => {
      const redis = await OwnRedis.start({ appendonly: false });
      await redis.stop();
      // Down from the start: the calls route's BullMQ queue begins life waiting for Redis.
      const server = await createApiServer({
        config: configFor(redis.url),
        listen: { host: '127.0.0.1', port: 0 },
      });
      try {
        const base = await server.listen();
        const enqueue = { method: 'POST', path: '/v1/calls' };
        const list = { method: 'GET', path: '/v1/campaigns' };
        for (const round of [1, 2]) {
          for (const route of [enqueue, list]) {
            const down = await call(base, route);
            expect(down.status, `round ${round} ${route.path}: ${down.body}`).toBe(503);
            expect(JSON.parse(down.body)).toMatchObject({ error: 'REDIS_UNAVAILABLE' });
          }
          await redis.restart();
          for (const route of [enqueue, list]) {
            const deadline = Date.now() + DEADLINE_MS;
            let last = await call(base, route);
            while (last.status >= 300 && Date.now() < deadline) {
              await new Promise((r) => setTimeout(r, 200));
              last = await call(base, route);
            }
            expect(last.status, `round ${round} ${route.path}: ${last.body}`).toBeLessThan(300);
          }
          await redis.stop();
        }
      } finally {
        await server.close();
        await redis.stop();
      }
    },
    DEADLINE_MS * 10,
  );
});
