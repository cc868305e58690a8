import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { runCli } from '../../../src/cli/index.js';
import { DialerClient } from '../../../src/jobs/dialer-client.js';
import { OutcomeStore } from '../../../src/jobs/outcome-store.js';
import { campaignOutcome } from '../api/seed-outcomes.js';
import { writeConfigFile } from '../../helpers/worker-process.js';

const redisUrl = inject('redisUrl');

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, { env: {}, out: (t) => (out += `${t}\n`), err: (t) => (err += t) });
  return { code, out, err };
}

describe('dialer campaign status --watch', () => {
  it('when not on a terminal, prints plain lines (no escape codes, no blank lines) and stops once the campaign is over', async () => {
    const file = await writeConfigFile(
      `redis: ${redisUrl}\nqueuePrefix: t${randomUUID().slice(0, 8)}\ntrunks:\n  - name: carrier\n    domain: carrier.test\n    defaultCountry: BR\n`,
    );
    const csv = join(await mkdtemp(join(tmpdir(), 'dialer-')), 'numbers.csv');
    await writeFile(csv, 'number\n+5534984149880\n+5534984149881\n');
    expect((await cli(['campaign', 'create', 'spring', '--numbers', csv, '--config', file])).code).toBe(0);
    expect((await cli(['campaign', 'cancel', 'spring', '--config', file])).code).toBe(0);
    const run = await cli(['campaign', 'status', 'spring', '--watch', '--config', file]);
    expect(run.code).toBe(0);
    expect(run.err).not.toContain('\x1b');
    const lines = run.err.split('\n').filter((l, i, all) => i < all.length - 1 || l !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^campaign spring: cancelled .* 0\/2 done, 2 pending \| – INVITEs\/s .* ETA .* \| no final outcome yet$/,
    );
  });

  it('says completed (and when) once every number has a final outcome, and --watch stops there', async () => {
    const prefix = `t${randomUUID().slice(0, 8)}`;
    const file = await writeConfigFile(
      `redis: ${redisUrl}\nqueuePrefix: ${prefix}\ntrunks:\n  - name: carrier\n    domain: carrier.test\n    defaultCountry: BR\n`,
    );
    const csv = join(await mkdtemp(join(tmpdir(), 'dialer-')), 'numbers.csv');
    await writeFile(csv, 'number\n+5534984149880\n');
    expect((await cli(['campaign', 'create', 'autumn', '--numbers', csv, '--config', file])).code).toBe(0);
    const client = new DialerClient({ redis: redisUrl, prefix });
    try {
      await new OutcomeStore({ redis: client.redis, keys: client.keys }).writeOnce(
        campaignOutcome('autumn', '+5534984149880', 'answered', 0, 900),
      );
    } finally {
      await client.close();
    }
    const status = await cli(['campaign', 'status', 'autumn', '--config', file]);
    expect(status.out).toContain('campaign autumn: completed');
    expect(status.out).toMatch(/completed at +\d{4}-\d\d-\d\dT/);
    const watch = await cli(['campaign', 'status', 'autumn', '--watch', '--config', file]);
    expect(watch.err.trim().split('\n')).toHaveLength(1);
    expect(watch.err).toMatch(/^campaign autumn: completed .* 1\/1 done, 0 pending/);
  });
});
