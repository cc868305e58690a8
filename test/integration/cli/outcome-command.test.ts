import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { DialerClient } from '../../../src/jobs/dialer-client.js';
import { OutcomeStore } from '../../../src/jobs/outcome-store.js';
import { writeConfigFile } from '../../helpers/worker-process.js';
import { campaignOutcome } from '../api/seed-outcomes.js';
import { runCliCaptured as cli } from '../../helpers/run-cli-captured.js';

const redisUrl = inject('redisUrl');

describe('dialer outcome', () => {
  let client: DialerClient | undefined;
  afterEach(async () => {
    await client?.close();
    client = undefined;
  });

  async function setUp(): Promise<{ file: string; client: DialerClient }> {
    const prefix = `{t-${randomUUID().slice(0, 8)}}`;
    const file = await writeConfigFile(
      `redis: ${redisUrl}\nqueuePrefix: "${prefix}"\ntrunks:\n  - name: carrier\n    domain: carrier.test\n    defaultCountry: BR\n`,
    );
    client = new DialerClient({
      redis: redisUrl,
      prefix,
      trunks: [{ name: 'carrier', domain: 'carrier.test' }],
    });
    return { file, client };
  }

  it('looks a queued call up by its job id: pending, where, and its attempts so far', async () => {
    const { file, client } = await setUp();
    const call = await client.enqueueCall({ number: '+5534984149880' });
    const run = await cli(['outcome', call.jobId, '--config', file]);
    expect(run.code).toBe(0);
    expect(run.out).toBe('+5534984149880: pending (waiting on carrier), 0 attempts so far\n');
  });

  it('finds a campaign number written as a person writes it, with its final outcome (JSON)', async () => {
    const { file, client } = await setUp();
    await new OutcomeStore({ redis: client.redis, keys: client.keys }).writeOnce(
      campaignOutcome('spring', '+5534984149880', 'busy', 1, 2400),
    );
    const run = await cli(['outcome', '(34) 98414-9880', '--campaign', 'spring', '--config', file, '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.out)).toMatchObject({
      jobId: 'spring~+5534984149880',
      state: 'completed',
      outcome: { status: 'busy', attempts: [{ sipCode: 486 }] },
    });
    const text = await cli(['outcome', 'spring~+5534984149880', '--config', file]);
    expect(text.out).toMatch(
      /^\+5534984149880: busy \(486 Busy Here\)\n {2}attempt 1: sip:\+5534984149880@carrier\.test -> 486/,
    );
  });

  it('exits 2 for an id nobody knows and for one that is no job id', async () => {
    const { file } = await setUp();
    const unknown = await cli(['outcome', 'no-such-job', '--config', file]);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('call "no-such-job": no such job or outcome');
    const bad = await cli(['outcome', 'a b', '--config', file]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('a number needs --campaign');
  });
});
