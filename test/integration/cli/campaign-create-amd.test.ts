import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CampaignStore } from '../../../src/jobs/campaign-store.js';
import { DialerClient } from '../../../src/jobs/dialer-client.js';
import { writeConfigFile } from '../../helpers/worker-process.js';
import { runCliCaptured as cli } from '../../helpers/run-cli-captured.js';

const redisUrl = inject('redisUrl');

describe('dialer campaign create --amd / --script', () => {
  let dir: string;
  let csv: string;
  let configFile: string;
  let client: DialerClient;
  let store: CampaignStore;

  beforeAll(async () => {
    const prefix = `t${randomUUID().slice(0, 8)}`;
    configFile = await writeConfigFile(
      `redis: ${redisUrl}\nqueuePrefix: ${prefix}\ntrunks:\n  - name: carrier\n    domain: carrier.test\n    defaultCountry: BR\n`,
    );
    dir = await mkdtemp(join(tmpdir(), 'dialer-amd-'));
    csv = join(dir, 'leads.csv');
    await writeFile(csv, 'number\n(34) 98414-9880\n');
    client = new DialerClient({ redis: redisUrl, prefix });
    store = new CampaignStore({ redis: client.redis, keys: client.keys });
  });

  afterAll(() => client.close());

  async function create(
    name: string,
    ...extra: string[]
  ): Promise<{ code: number; out: string; err: string }> {
    return cli(['campaign', 'create', name, '--numbers', csv, '--config', configFile, ...extra]);
  }

  async function scriptFile(name: string, text: string): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  }

  it('stores the amd timings and the script file with the campaign', async () => {
    const script = await scriptFile(
      'drop.json',
      JSON.stringify({ play: 'offer.wav', onMachine: 'leaveMessage', record: 'both' }),
    );
    const run = await create('drop', '--amd', '{"greetingMs":1500,"maxWords":3}', '--script', script);
    expect(run.err).not.toContain('dialer:');
    expect(run.code).toBe(0);
    expect((await store.get('drop'))?.settings).toMatchObject({
      amd: { greetingMs: 1500, maxWords: 3 },
      script: { play: 'offer.wav', onMachine: 'leaveMessage', record: 'both' },
    });
    expect(await create('plain-amd', '--amd')).toMatchObject({ code: 0 });
    expect((await store.get('plain-amd'))?.settings.amd).toBe(true);
  });

  it.each([
    [['--amd', '{"greetingMs":-1}'], 'amd.greetingMs -1: expected an integer from 0 to 60000'],
    [['--amd', '{"greetMs":1}'], 'amd.greetMs'],
    [['--amd', 'sometimes'], '--amd "sometimes" is not JSON'],
  ])('refuses %j with exit 2, naming the field, and creates nothing', async (args, message) => {
    const name = `bad-${randomUUID().slice(0, 6)}`;
    const run = await create(name, ...args);
    expect(run.code).toBe(2);
    expect(run.err).toContain(message);
    expect(await store.get(name)).toBeUndefined();
  });

  it('refuses a script file that is missing, not JSON, or has a bad field', async () => {
    const cases: Array<[string, string]> = [
      [join(dir, 'none.json'), 'cannot read it (no such file)'],
      [await scriptFile('broken.json', '{"onMachine":'), 'not JSON'],
      [await scriptFile('bad.json', '{"onMachine":"beep"}'), 'script.onMachine "beep"'],
      [await scriptFile('unknown.json', '{"hangup":true}'), 'script.hangup'],
    ];
    for (const [path, message] of cases) {
      const name = `bad-${randomUUID().slice(0, 6)}`;
      const run = await create(name, '--script', path);
      expect(run.code).toBe(2);
      expect(run.err).toContain(message);
      expect(await store.get(name)).toBeUndefined();
    }
  });
});
