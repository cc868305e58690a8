import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createApiServer, type ApiServer } from '../../../src/api/index.js';
import { DialerClient } from '../../../src/jobs/dialer-client.js';
import { createLogger } from '../../../src/log/create-logger.js';
import { DialerWorker } from '../../../src/workers/dialer-worker.js';
import { clusterSlot } from '../../helpers/cluster-slot.js';
import { hasRedisCli, OwnRedisCluster } from '../../helpers/own-redis-cluster.js';
import { startSipp } from '../../helpers/sipp.js';
import { waitFor } from '../../helpers/wait-for.js';
import { writeConfigFile } from '../../helpers/worker-process.js';
import { workerConfig } from '../../helpers/worker-config.js';
import { runCliCaptured as dialer } from '../../helpers/run-cli-captured.js';

// Distinctive: a hit in a log line or the CLI's output can only be a leak.
const PASSWORD = 'Cluster-Pw-c4e19a7b';
const TOKEN = 'cluster-api-token-5f0c2a9e7b1d4c36';

const cli = hasRedisCli();
if (!cli) console.warn('cluster-campaign: redis-cli is not installed (Debian package redis-tools): skipped');

describe.skipIf(!cli)('a campaign through a 3-master Redis Cluster', () => {
  it(
    'imports, dials every number once and reads the results back, all through the cluster',
    { timeout: 60_000 },
    async () => {
      const calls = 10;
      const cluster = await OwnRedisCluster.start(PASSWORD);
      const peer = await startSipp({ scenario: 'uas-answer.xml', calls, timeoutMs: 50_000 });
      // workerConfig writes its `redisUrl` after `redis:` as it is: here the cluster's YAML mapping.
      const { config, yaml } = await workerConfig({
        redisUrl: cluster.yaml,
        // The default prefix on a cluster of its own: `{dialer}` (slot 895) and the trunk's
        // `{dialer:t:carrier}` (slot 6002) are on different masters of a 3-master cluster.
        prefix: '{dialer}',
        carrier: peer.uri,
        cps: 10,
        maxChannels: 4,
        maxCallLength: '1s',
        extra: `api: { token: ${TOKEN} }`,
      });
      const file = await writeConfigFile(yaml);
      const numbers = join(await mkdtemp(join(tmpdir(), 'cluster-campaign-')), 'numbers.csv');
      const list = Array.from({ length: calls }, (_, i) => `+55349841${String(62000 + i)}`);
      await writeFile(numbers, `number\n${list.join('\n')}\n`);
      const lines: string[] = [];
      const logger = createLogger({
        level: 'info',
        destination: { write: (l: string) => void lines.push(l) },
      });
      let worker: DialerWorker | undefined;
      let api: ApiServer | undefined;
      const client = new DialerClient({ redis: config.redis, prefix: config.queuePrefix });
      try {
        // First thing on a fresh client: waits for the cluster's slots, not "Cluster isn't ready".
        expect(await client.queue('carrier').getJobCounts('waiting')).toEqual({ waiting: 0 });
        const created = await dialer([
          'campaign',
          'create',
          'north',
          '--numbers',
          numbers,
          '--config',
          file,
          '--json',
        ]);
        expect(created.code, created.err).toBe(0);
        expect(JSON.parse(created.out)).toMatchObject({ enqueued: calls, invalid: 0 });
        worker = await DialerWorker.start({ config, logger });
        await waitFor(async () => (await client.redis.xlen(client.keys.outcomes)) >= calls, {
          what: 'an outcome for every number',
        });

        const stream = await client.redis.xrange(client.keys.outcomes, '-', '+');
        const perJob = new Map<string, string[]>();
        for (const [, fields] of stream) {
          const id = fields[fields.indexOf('jobId') + 1] ?? '';
          perJob.set(id, [...(perJob.get(id) ?? []), fields[fields.indexOf('status') + 1] ?? '']);
        }
        expect(perJob.size).toBe(calls);
        expect([...perJob.values()].filter((statuses) => statuses.join() !== 'answered')).toEqual([]);
        const invites = (await peer.messages()).filter(
          (m) => m.direction === 'received' && m.method === 'INVITE',
        );
        expect(new Set(invites.map((m) => m.headers['call-id'])).size).toBe(calls);

        // Results are found by SCAN, which on a cluster must ask the node that owns the keys.
        const results = await dialer(['campaign', 'results', 'north', '--format', 'jsonl', '--config', file]);
        expect(results.code, results.err).toBe(0);
        const rows = results.out
          .trimEnd()
          .split('\n')
          .map((l) => JSON.parse(l) as { number: string; status: string });
        expect(rows.map((r) => r.number).sort()).toEqual(list);
        expect(rows.every((r) => r.status === 'answered')).toBe(true);

        // The API over the same cluster: ready, one call's outcome, the campaign's export.

        api = await createApiServer({ config, logger });

        const get = async (url: string) =>
          await (api as ApiServer).app.inject({
            method: 'GET',
            url,
            headers: { authorization: `Bearer ${TOKEN}` },
          });

        expect((await get('/readyz')).statusCode).toBe(200);

        const [firstJob] = [...perJob.keys()];

        const call = await get(`/v1/calls/${encodeURIComponent(firstJob ?? '')}`);

        expect(call.statusCode, call.body).toBe(200);

        expect(call.body).toContain('"answered"');

        const exported = await get('/v1/campaigns/north/outcomes?format=jsonl');

        expect(exported.statusCode, exported.body).toBe(200);

        expect(exported.body.trimEnd().split('\n')).toHaveLength(calls);

        const output = [
          ...lines,
          created.out,
          created.err,
          results.out,
          results.err,
          call.body,
          exported.body,
        ];
        expect(output.filter((l) => l.includes(PASSWORD))).toEqual([]);
        // The trunk's keys (its queue, pace, channels, circuit) are under its own hash tag, so they
        // sit on another master than the prefix's; every script above ran in one slot, or the
        // cluster would have refused it (CROSSSLOT).
        const perNode = await cluster.keysPerNode();
        const commands = await cluster.commandsPerNode();
        console.info(
          `cluster-campaign: keys per node ${JSON.stringify(Object.fromEntries(perNode))}, commands served per node ${JSON.stringify(Object.fromEntries(commands))}`,
        );
        expect([...perNode.values()].filter((n) => n > 0).length).toBeGreaterThanOrEqual(2);
        const trunkSlot = clusterSlot(client.keys.queueKey('carrier'));
        expect(trunkSlot).not.toBe(clusterSlot(client.keys.outcomes));
        const trunkNode = await cluster.keysInSlot(trunkSlot);
        console.info(
          `cluster-campaign: keys in the trunk's slot per node ${JSON.stringify(Object.fromEntries(trunkNode))}`,
        );
        const inTrunkSlot = [...trunkNode.values()].reduce((a, b) => a + b, 0);
        expect(inTrunkSlot).toBeGreaterThan(0);
        // Each number's attempts (written with its fence in one script) sit under the number's own
        // tag: the per-call keys spread over the masters instead of the prefix's.
        const attemptKeys = list.map((n) => client.keys.attempts(`north~${n}`, n));
        for (const key of attemptKeys) expect(await client.redis.exists(key), key).toBe(1);
        const owners = new Set<number>();
        for (const key of attemptKeys)
          for (const [port, n] of await cluster.keysInSlot(clusterSlot(key))) if (n > 0) owners.add(port);
        expect(owners.size).toBeGreaterThanOrEqual(2);
      } finally {
        await api?.close();
        await worker?.close(1000);
        await client.close();
        cluster.stop();
        await peer.stop();
      }
    },
  );
});
