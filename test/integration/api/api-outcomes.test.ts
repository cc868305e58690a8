import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESULT_COLUMNS } from '../../../src/results/index.js';
import { apiFixture, type ApiFixture } from './api-fixture.js';
import { campaignOutcome, seedCampaign } from './seed-outcomes.js';

const NUMBERS = ['+5534984140001', '+5534984140002', '+5534984140003', '+5534984140004'];

function byNumber<T extends { number: string }>(rows: T[]): T[] {
  return [...rows].sort((a, b) => a.number.localeCompare(b.number));
}

describe('GET /v1/campaigns/:name/outcomes', () => {
  let f: ApiFixture;
  beforeAll(async () => {
    f = await apiFixture();
    await seedCampaign(f, 'export', NUMBERS, [
      campaignOutcome('export', NUMBERS[0] as string, 'answered', 0, 1800),
      campaignOutcome('export', NUMBERS[1] as string, 'busy', 1, 2400, '=HYPERLINK("x"), busy'),
    ]);
    // Another campaign's outcome must not leak into the export.
    await seedCampaign(
      f,
      'other',
      ['+5534984149999'],
      [campaignOutcome('other', '+5534984149999', 'answered', 0, 100)],
    );
  });
  afterAll(async () => {
    await f.close();
  });

  it('streams JSON lines by default: one row per number, finished and pending', async () => {
    const response = await f.request({ method: 'GET', url: '/v1/campaigns/export/outcomes' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/jsonl/);
    expect(response.headers['transfer-encoding']).toBe('chunked');
    const lines = response.body.trimEnd().split('\n');
    const rows = byNumber(lines.map((l) => JSON.parse(l) as { number: string }));
    expect(rows).toEqual([
      {
        number: NUMBERS[0],
        jobId: `export~${NUMBERS[0]}`,
        status: 'answered',
        reason: '200 OK',
        attempts: 1,
        sipCode: 200,
        enqueuedAt: '2026-11-20T11:59:00.000Z',
        firstAttemptAt: '2026-11-20T12:00:00.000Z',
        completedAt: '2026-11-20T12:00:20.000Z',
        postDialDelayMs: 1800,
        setupMs: 3800,
        talkMs: 15000,
      },
      expect.objectContaining({ number: NUMBERS[1], status: 'busy', sipCode: 486, postDialDelayMs: 2400 }),
      expect.objectContaining({ number: NUMBERS[2], status: 'pending', reason: 'waiting', attempts: 0 }),
      expect.objectContaining({ number: NUMBERS[3], status: 'pending', reason: 'waiting', attempts: 0 }),
    ]);
  });

  it('gives CSV by ?format=csv or by Accept, with the header and quoted fields', async () => {
    const byQuery = await f.request({ method: 'GET', url: '/v1/campaigns/export/outcomes?format=csv' });
    const byAccept = await f.request({
      method: 'GET',
      url: '/v1/campaigns/export/outcomes',
      headers: { accept: 'text/csv' },
    });
    for (const response of [byQuery, byAccept]) {
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toMatch(/^text\/csv/);
      expect(response.headers['content-disposition']).toBe('attachment; filename="export-results.csv"');
      const [header, ...records] = response.body.trimEnd().split('\n');
      expect(header).toBe(RESULT_COLUMNS.join(','));
      expect(records).toHaveLength(4);
      expect(records).toContain(
        `${NUMBERS[1]},export~${NUMBERS[1]},busy,"'=HYPERLINK(""x""), busy",1,486,2026-11-20T11:59:00.000Z,2026-11-20T12:01:00.000Z,2026-11-20T12:01:20.000Z,2400,,,,,,,,,,,,,`,
      );
    }
  });

  it('leaves pending numbers out with ?pending=false; refuses an unknown format', async () => {
    const finished = await f.request({ method: 'GET', url: '/v1/campaigns/export/outcomes?pending=false' });
    expect(finished.body.trimEnd().split('\n')).toHaveLength(2);
    const bad = await f.request({ method: 'GET', url: '/v1/campaigns/export/outcomes?format=xml' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ field: 'format' });
  });

  it('summarises the campaign and its post-dial delay over time', async () => {
    const stats = await f.request({ method: 'GET', url: '/v1/campaigns/export/stats' });
    expect(stats.statusCode).toBe(200);
    expect(stats.json()).toMatchObject({
      name: 'export',
      total: 4,
      done: 2,
      pending: 2,
      attempts: 2,
      byStatus: { answered: 1, busy: 1 },
      answerRate: 0.5,
      postDialDelay: {
        samples: 2,
        p50Ms: 1800,
        p95Ms: 2400,
        points: [
          { samples: 1, p50Ms: 1800 },
          { samples: 1, p50Ms: 2400 },
        ],
      },
    });
  });

  it('reads a campaign whose every number has a final outcome as completed: API, list and page', async () => {
    const other = await f.request({ method: 'GET', url: '/v1/campaigns/other' });
    expect(other.json()).toMatchObject({ state: 'completed', total: 1, pending: 0 });
    expect(Date.parse(other.json<{ completedAt: string }>().completedAt)).toBeGreaterThan(0);
    expect((await f.request({ method: 'GET', url: '/v1/campaigns/export' })).json()).toMatchObject({
      state: 'running',
    });
    expect((await f.request({ method: 'GET', url: '/v1/campaigns' })).json()).toMatchObject({
      campaigns: expect.arrayContaining([expect.objectContaining({ name: 'other', state: 'completed' })]),
    });
    const list = await f.request({ method: 'GET', url: '/' });
    expect(list.body).toMatch(/<tr data-campaign="other">[\s\S]*?data-testid="list-state">completed</);
    const page = await f.request({ method: 'GET', url: '/campaigns/other' });
    expect(page.body).toContain('data-testid="state">completed<');
    expect(page.body).toContain(' · completed <time');
    const pause = await f.request({ method: 'POST', url: '/v1/campaigns/other/pause' });
    expect(pause.statusCode).toBe(409);
  });
});
