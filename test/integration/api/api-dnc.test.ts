import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFixture, type ApiFixture } from './api-fixture.js';

describe('DNC routes', () => {
  let f: ApiFixture;
  beforeAll(async () => {
    f = await apiFixture();
  });
  afterAll(async () => {
    await f.close();
  });

  it('adds to, checks and removes from the global list', async () => {
    const added = await f.request({
      method: 'POST',
      url: '/v1/dnc',
      payload: { numbers: ['(34) 98414-0001', '+44 7400 123456'], country: 'BR' },
    });
    expect(added.json()).toEqual({ added: 2 });
    const hit = await f.request({ method: 'GET', url: '/v1/dnc/%2B5534984140001' });
    expect(hit.json()).toEqual({ number: '+5534984140001', blocked: true, list: 'global' });
    const national = await f.request({ method: 'GET', url: '/v1/dnc/34984140001?country=BR' });
    expect(national.json()).toMatchObject({ blocked: true });
    const removed = await f.request({ method: 'DELETE', url: '/v1/dnc/%2B5534984140001' });
    expect(removed.json()).toEqual({ number: '+5534984140001', removed: true });
    const again = await f.request({ method: 'DELETE', url: '/v1/dnc/%2B5534984140001' });
    expect(again.json()).toEqual({ number: '+5534984140001', removed: false });
    const miss = await f.request({ method: 'GET', url: '/v1/dnc/%2B5534984140001' });
    expect(miss.json()).toEqual({ number: '+5534984140001', blocked: false });
  });

  it("keeps a campaign's list apart; a campaign check also sees the global list", async () => {
    const put = await f.request({ method: 'PUT', url: '/v1/campaigns/spring/dnc/%2B5534984140002' });
    expect(put.json()).toEqual({ number: '+5534984140002', added: true });
    expect(
      (await f.request({ method: 'GET', url: '/v1/campaigns/spring/dnc/%2B5534984140002' })).json(),
    ).toMatchObject({ blocked: true, list: 'campaign' });
    expect((await f.request({ method: 'GET', url: '/v1/dnc/%2B5534984140002' })).json()).toMatchObject({
      blocked: false,
    });
    expect(
      (await f.request({ method: 'GET', url: '/v1/campaigns/autumn/dnc/%2B5534984140002' })).json(),
    ).toMatchObject({ blocked: false });
    expect(
      (await f.request({ method: 'GET', url: '/v1/campaigns/spring/dnc/%2B447400123456' })).json(),
    ).toMatchObject({ blocked: true, list: 'global' });
    const bulk = await f.request({
      method: 'POST',
      url: '/v1/campaigns/spring/dnc',
      payload: { numbers: ['+5534984140003', '+5534984140002'] },
    });
    expect(bulk.json()).toEqual({ added: 1 });
    const removed = await f.request({ method: 'DELETE', url: '/v1/campaigns/spring/dnc/%2B5534984140002' });
    expect(removed.json()).toMatchObject({ removed: true });
  });

  it('400 naming the bad number; nothing is written', async () => {
    const response = await f.request({
      method: 'POST',
      url: '/v1/dnc',
      payload: { numbers: ['+5534984140009', 'sip:evil@x'] },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: 'NUMBER_INVALID', field: 'numbers[1]' });
    expect((await f.request({ method: 'GET', url: '/v1/dnc/%2B5534984140009' })).json()).toMatchObject({
      blocked: false,
    });
    const one = await f.request({ method: 'GET', url: '/v1/dnc/12' });
    expect(one.statusCode).toBe(400);
    expect(one.json()).toMatchObject({ field: 'number', reason: 'INVALID_COUNTRY' });
    const empty = await f.request({ method: 'POST', url: '/v1/dnc', payload: { numbers: [] } });
    expect(empty.statusCode).toBe(400);
    expect(empty.json()).toMatchObject({ field: 'numbers' });
  });
});
