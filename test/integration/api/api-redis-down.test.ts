import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer, type ApiServer } from '../../../src/api/index.js';
import { parseConfig } from '../../../src/config/load-config.js';
import { freeTcpPort } from '../../helpers/free-port.js';
import { TOKEN } from './api-fixture.js';

describe('API with Redis out of reach', () => {
  let server: ApiServer;
  beforeAll(async () => {
    // A port nothing listens on: every connection attempt is refused.
    const port = await freeTcpPort();
    const config = parseConfig(
      `redis: redis://127.0.0.1:${port}\ntrunks:\n  - name: carrier\n    domain: carrier.test\napi: { token: ${TOKEN} }\n`,
      {},
    );
    server = await createApiServer({ config });
  });
  afterAll(async () => {
    await server.close();
  });

  it('is alive but not ready', async () => {
    expect((await server.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    const ready = await server.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ status: 'unavailable' });
  });

  it('answers 503 instead of hanging', async () => {
    const response = await server.app.inject({
      method: 'GET',
      url: '/v1/campaigns/spring',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ error: 'REDIS_UNAVAILABLE' });
  });
});
