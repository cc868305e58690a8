import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOKEN, apiFixture, type ApiFixture } from './api-fixture.js';

describe('OpenAPI, Bull Board, /metrics seam, real sockets', () => {
  let f: ApiFixture;
  let url: string;
  const metrics = {
    contentType: 'text/plain; version=0.0.4; charset=utf-8',
    metrics: async () => '# HELP dialer_test a test metric\n# TYPE dialer_test gauge\ndialer_test 1\n',
  };
  beforeAll(async () => {
    f = await apiFixture({ metrics, extraTrunk: true, bodyLimit: '4KB' });
    url = await f.server.listen();
  });
  afterAll(async () => {
    await f.close();
  });

  it('serves the OpenAPI document at /docs/json, listing every route with bearer security', async () => {
    const response = await f.request({ method: 'GET', url: '/docs/json' });
    expect(response.statusCode).toBe(200);
    const doc = response.json<{
      openapi: string;
      paths: Record<string, Record<string, { security?: unknown[] }>>;
      components: { securitySchemes: Record<string, unknown> };
    }>();
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.components.securitySchemes).toHaveProperty('bearerAuth');
    for (const path of [
      '/v1/calls',
      '/v1/calls/{id}',
      '/v1/campaigns',
      '/v1/campaigns/{name}',
      '/v1/campaigns/{name}/pause',
      '/v1/campaigns/{name}/resume',
      '/v1/campaigns/{name}/cancel',
      '/v1/campaigns/{name}/outcomes',
      '/v1/dnc',
      '/v1/dnc/{number}',
      '/v1/campaigns/{name}/dnc/{number}',
      '/healthz',
      '/readyz',
      '/campaigns/{name}',
    ]) {
      expect(doc.paths, path).toHaveProperty([path]);
    }
    expect(doc.paths['/healthz']?.['get']?.security).toEqual([]);
    expect(Object.keys(doc.paths).some((p) => p.startsWith('/admin/queues'))).toBe(false);
  });

  it('serves the Swagger UI at /docs to a browser holding the token once', async () => {
    const first = await fetch(`${url}/docs?token=${TOKEN}`, { redirect: 'manual' });
    expect(first.status).toBe(303);
    const cookie = (first.headers.get('set-cookie') ?? '').split(';')[0] as string;
    let response = await fetch(new URL(first.headers.get('location') as string, url), {
      headers: { cookie },
      redirect: 'manual',
    });
    // swagger-ui may bounce /docs to /docs/ or its static index first.
    for (let hops = 0; response.status >= 300 && response.status < 400 && hops < 3; hops++) {
      response = await fetch(new URL(response.headers.get('location') as string, url), {
        headers: { cookie },
        redirect: 'manual',
      });
    }
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/swagger/i);
  });

  it('mounts Bull Board at /admin/queues behind the token, with every trunk queue', async () => {
    expect((await fetch(`${url}/admin/queues`)).status).toBe(401);
    expect((await fetch(`${url}/admin/queues/api/queues`)).status).toBe(401);
    const auth = { authorization: `Bearer ${TOKEN}` };
    const page = await fetch(`${url}/admin/queues`, { headers: auth });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('sip-dialer');
    await f.request({
      method: 'POST',
      url: '/v1/calls',
      payload: { number: '+5534984149880', trunk: 'backup' },
    });
    const api = await fetch(`${url}/admin/queues/api/queues`, { headers: auth });
    expect(api.status).toBe(200);
    const body = (await api.json()) as { queues: Array<{ name: string; counts: Record<string, number> }> };
    expect(body.queues.map((q) => q.name).sort()).toEqual(['calls-backup', 'calls-carrier']);
    expect(body.queues.find((q) => q.name === 'calls-backup')?.counts['waiting']).toBe(1);
  });

  it('serves /metrics from the source it was given, behind the token', async () => {
    expect((await fetch(`${url}/metrics`)).status).toBe(401);
    const response = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(metrics.contentType);
    expect(await response.text()).toContain('dialer_test 1');
  });

  it('answers 413 to a chunked CSV upload over the limit on a real socket', async () => {
    const chunk = new TextEncoder().encode(`${'+5534984149880\n'.repeat(100)}`);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 20) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const response = await fetch(`${url}/v1/campaigns?name=too-big`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'text/csv' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ error: 'BODY_TOO_LARGE' });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it('answers 404 in JSON for an unknown route', async () => {
    const response = await f.request({ method: 'GET', url: '/v2/nothing' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ error: 'NOT_FOUND' });
  });
});
