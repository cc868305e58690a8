import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { writeConfigFile } from '../../helpers/worker-process.js';
import { runCliCaptured as cli } from '../../helpers/run-cli-captured.js';

const redisUrl = inject('redisUrl');

async function config(): Promise<string> {
  return writeConfigFile(
    `redis: ${redisUrl}\nqueuePrefix: t${randomUUID().slice(0, 8)}\ntrunks:\n  - name: carrier\n    domain: carrier.test\n    defaultCountry: BR\n`,
  );
}

describe('dialer campaign create refuses bad input with exit 2', () => {
  it('a missing CSV file: names the file, and no campaign is left behind', async () => {
    const file = await config();
    const missing = join(tmpdir(), `no-such-${randomUUID()}.csv`);
    const run = await cli(['campaign', 'create', 'spring', '--numbers', missing, '--config', file]);
    expect(run.code).toBe(2);
    expect(run.err).toContain(`--numbers ${missing}: cannot read it (no such file)`);
    const list = await cli(['campaign', 'list', '--json', '--config', file]);
    expect(JSON.parse(list.out)).toEqual([]);
  });

  it('a folder given as the CSV file', async () => {
    const run = await cli([
      'campaign',
      'create',
      'spring',
      '--numbers',
      tmpdir(),
      '--config',
      await config(),
    ]);
    expect(run.code).toBe(2);
    expect(run.err).toContain('not a file');
  });

  it('a file without one valid number: the report is printed, nothing is queued, no campaign is left, exit 2', async () => {
    const file = await config();
    const csv = join(await mkdtemp(join(tmpdir(), 'dialer-')), 'bad.csv');
    await writeFile(csv, 'number\nabc\n12\n');
    const run = await cli(['campaign', 'create', 'spring', '--numbers', csv, '--config', file]);
    expect(run.code).toBe(2);
    expect(run.out).toContain('import refused, nothing enqueued');
    expect(run.out).toContain('line 2: "abc"');
    expect(run.err).toContain('dialer: import of spring refused');
    expect(run.out).toContain('campaign spring not created');
    const list = await cli(['campaign', 'list', '--json', '--config', file]);
    expect(JSON.parse(list.out)).toEqual([]);
  });
});
