import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer, type ApiServer } from '../../../src/api/index.js';
import { parseConfig } from '../../../src/config/load-config.js';
import type { Redis } from 'ioredis';
import { createLogger } from '../../../src/log/create-logger.js';
import { freshRedis, type FreshRedis } from '../workers/fresh-redis.js';

const ADMIN = 'admin-token-0123456789-SECRET-A';
const OPERATOR = 'operator-token-0123456789-SECRET-O';
const VIEWER = 'viewer-token-0123456789-SECRET-V';
const SECRETS = [ADMIN, OPERATOR, VIEWER];
const BOARD = '/admin/queues/api/queues/calls-carrier';

interface Entry {
  readonly who?: string;
  readonly role?: string;
  readonly method: string;
  readonly route: string;
  readonly target?: string;
  readonly status: number;
  readonly ip: string;
  readonly at: string;
}

describe('API roles over real HTTP', () => {
  let redis: FreshRedis;
  let reader: Redis;
  let server: ApiServer;
  let base: string;
  const logs: string[] = [];

  beforeAll(async () => {
    redis = freshRedis();
    const yaml = `redis: ${redis.url}
queuePrefix: "${redis.prefix}"
trunks:
  - name: carrier
    domain: carrier.test
    defaultCountry: BR
api:
  token: \${ADMIN}
  tokens:
    - name: ops-desk
      token: \${OPERATOR}
      role: operator
    - name: wallboard
      token: \${VIEWER}
      role: viewer
`;
    const config = parseConfig(yaml, { ADMIN, OPERATOR, VIEWER });
    const destination = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        callback();
      },
    });
    server = await createApiServer({
      config,
      logger: createLogger({ level: 'debug', destination }),
      listen: { host: '127.0.0.1', port: 0 },
    });
    base = await server.listen();
    reader = redis.connect();
  });
  afterAll(async () => {
    await server.close();
    await redis.cleanup();
  });

  const call = (token: string | undefined, method: string, path: string, body?: unknown) =>
    fetch(`${base}${path}`, {
      method,
      headers: {
        ...(token !== undefined && { authorization: `Bearer ${token}` }),
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });

  async function auditEntries(): Promise<Entry[]> {
    const rows = await reader.xrange(redis.keys.audit, '-', '+');
    return rows.map(([, fields]) => JSON.parse(fields[1] ?? '{}') as Entry);
  }

  /** Waits for an entry: the hook writes it after the response went out. */
  async function auditEntry(match: (e: Entry) => boolean): Promise<Entry> {
    for (let i = 0; i < 400; i++) {
      const found = (await auditEntries()).find(match);
      if (found !== undefined) return found;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error('audit entry never appeared');
  }

  it('lets a viewer read but not enqueue, nor write through Bull Board', async () => {
    expect((await call(VIEWER, 'GET', '/v1/campaigns')).status).toBe(200);
    expect((await call(VIEWER, 'GET', BOARD.replace('/calls-carrier', ''))).status).toBe(200);

    const enqueue = await call(VIEWER, 'POST', '/v1/calls', { number: '+5534984149880' });
    expect(enqueue.status).toBe(403);
    const body = (await enqueue.json()) as { error: string; message: string };
    expect(body.error).toBe('FORBIDDEN');
    expect(body.message).toContain('operator');

    const obliterate = await call(VIEWER, 'PUT', `${BOARD}/obliterate`);
    expect(obliterate.status).toBe(403);
    expect(await obliterate.json()).toMatchObject({
      error: 'FORBIDDEN',
      message: expect.stringContaining('admin'),
    });
    expect(await server.client.queue('carrier').getJobCounts('waiting')).toStrictEqual({ waiting: 0 });
  });

  it('lets an operator enqueue but not add, clean or obliterate through Bull Board', async () => {
    const enqueue = await call(OPERATOR, 'POST', '/v1/calls', { number: '+5534984149881' });
    expect(enqueue.status).toBe(202);
    for (const [method, path] of [
      ['PUT', `${BOARD}/obliterate`],
      ['PUT', `${BOARD}/clean/waiting`],
      ['POST', `${BOARD}/add`],
    ] as const) {
      const response = await call(
        OPERATOR,
        method,
        path,
        method === 'POST' ? { name: 'x', data: {} } : undefined,
      );
      expect(response.status, path).toBe(403);
      expect(((await response.json()) as { error: string }).error).toBe('FORBIDDEN');
    }
    expect(await server.client.queue('carrier').getJobCounts('waiting')).toStrictEqual({ waiting: 1 });
    expect((await call(OPERATOR, 'GET', '/audit')).status).toBe(403);
  });

  it('lets an admin write through Bull Board and read the audit log', async () => {
    const clean = await call(ADMIN, 'PUT', `${BOARD}/clean/completed`);
    expect(clean.status).toBe(200);
    expect((await call(ADMIN, 'GET', '/audit?count=5')).status).toBe(200);
  });

  it('keeps 401 for a missing or wrong token', async () => {
    expect((await call(undefined, 'POST', '/v1/calls', { number: '+5534984149882' })).status).toBe(401);
    expect((await call(`${VIEWER}x`, 'GET', '/v1/campaigns')).status).toBe(401);
  });

  it('audits writes, allowed and refused, by token name and never by token', async () => {
    const refused = await auditEntry((e) => e.who === 'wallboard' && e.route.endsWith('/obliterate'));
    expect(refused).toMatchObject({
      role: 'viewer',
      method: 'PUT',
      route: '/admin/queues/api/queues/:queueName/obliterate',
      target: 'calls-carrier',
      status: 403,
    });
    expect(refused.ip).toMatch(/127\.0\.0\.1/);
    await auditEntry((e) => e.who === 'ops-desk' && e.route === '/v1/calls' && e.status === 202);
    await auditEntry((e) => e.who === 'api.token' && e.role === 'admin' && e.status === 200);
    await auditEntry((e) => e.who === undefined && e.status === 401 && e.method === 'POST');

    const response = await call(ADMIN, 'GET', '/audit?count=3');
    const { entries } = (await response.json()) as { entries: Entry[] };
    expect(entries).toHaveLength(3);
    // Newest first.
    expect(entries[0]!.at >= entries[2]!.at).toBe(true);

    const stream = JSON.stringify(await reader.xrange(redis.keys.audit, '-', '+'));
    expect(logs.some((line) => line.includes('"audit":true') && line.includes('"who":"ops-desk"'))).toBe(
      true,
    );
    for (const secret of SECRETS) {
      expect(stream).not.toContain(secret);
      expect(logs.join('\n')).not.toContain(secret);
    }
  });
});
