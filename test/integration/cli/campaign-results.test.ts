import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeConfigFile } from '../../helpers/worker-process.js';
import { TOKEN, apiFixture, type ApiFixture } from '../api/api-fixture.js';
import { campaignOutcome, seedCampaign } from '../api/seed-outcomes.js';
import { runCliCaptured as cli } from '../../helpers/run-cli-captured.js';

const sorted = (text: string): string[] => text.trimEnd().split('\n').sort();

describe('dialer campaign results', () => {
  let f: ApiFixture;
  let config: string;
  beforeAll(async () => {
    f = await apiFixture();
    const numbers = Array.from({ length: 2500 }, (_, i) => `+55349841${String(i).padStart(5, '0')}`);
    await seedCampaign(
      f,
      'bulk',
      numbers,
      numbers
        .slice(0, 1200)
        .map((n, i) => campaignOutcome('bulk', n, i % 3 === 0 ? 'answered' : 'no-answer', i % 60, 1000 + i)),
    );
    config = await writeConfigFile(
      `redis: ${f.redis.url}\nqueuePrefix: "${f.redis.prefix}"\ntrunks:\n  - name: carrier\n    domain: carrier.test\n    defaultCountry: BR\napi: { token: ${TOKEN} }\n`,
    );
  });
  afterAll(async () => {
    await f.close();
  });

  it('prints the same rows as the API export, in CSV and JSON lines', async () => {
    for (const format of ['csv', 'jsonl'] as const) {
      const printed = await cli(['campaign', 'results', 'bulk', '--format', format, '--config', config]);
      expect(printed.code).toBe(0);
      const served = await f.request({ method: 'GET', url: `/v1/campaigns/bulk/outcomes?format=${format}` });
      expect(sorted(printed.out)).toEqual(sorted(served.body));
      expect(sorted(printed.out)).toHaveLength(format === 'csv' ? 2501 : 2500);
    }
    const csv = (await cli(['campaign', 'results', 'bulk', '--config', config])).out.split('\n');
    expect(csv[0]).toMatch(/^number,jobId,status,reason,attempts,/);
  });

  it('counts every status once; --no-pending leaves the queued numbers out', async () => {
    const all = (await cli(['campaign', 'results', 'bulk', '--format', 'jsonl', '--config', config])).out;
    const rows = all
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { number: string; status: string });
    expect(new Set(rows.map((r) => r.number)).size).toBe(2500);
    const count = (s: string) => rows.filter((r) => r.status === s).length;
    expect([count('answered'), count('no-answer'), count('pending')]).toEqual([400, 800, 1300]);
    const finished = await cli([
      'campaign',
      'results',
      'bulk',
      '--format',
      'jsonl',
      '--no-pending',
      '--config',
      config,
    ]);
    expect(finished.out.trimEnd().split('\n')).toHaveLength(1200);
  });

  it('exits 2 for an unknown campaign or format', async () => {
    const ghost = await cli(['campaign', 'results', 'ghost', '--config', config]);
    expect(ghost.code).toBe(2);
    expect(ghost.err).toContain('not found');
    const format = await cli(['campaign', 'results', 'bulk', '--format', 'xml', '--config', config]);
    expect(format.code).toBe(2);
    expect(format.err).toContain('--format');
  });
});
