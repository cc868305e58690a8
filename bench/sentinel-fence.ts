/**
 * What waiting for a replica costs per fenced call with a Sentinel group: AttemptFence.begin +
 * finish (the two writes a call makes around its INVITE) against the primary of a real group
 * (a primary, one replica, three sentinels on loopback), with `WAIT 1` on a fence connection of
 * its own (what the worker does with `redis.waitReplicas: 1`) and, as the baseline in the same
 * run, without it. Sequential (latency) and C in flight (throughput).
 *
 *   npx tsx bench/sentinel-fence.ts [--fences N] [--concurrency C]
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { AttemptRecord } from '../src/jobs/index.js';
import { DialerKeys } from '../src/kernel/index.js';
import { silentLogger } from '../src/log/index.js';
import { createRedisConnection, duplicateRedisConnection, type RedisConnection } from '../src/redis/index.js';
import { AttemptFence } from '../src/workers/attempt-fence.js';
import { OwnRedisSentinelGroup } from '../test/helpers/own-redis-sentinel-group.js';

const { values } = parseArgs({
  options: { fences: { type: 'string', default: '2000' }, concurrency: { type: 'string', default: '20' } },
});
const FENCES = Number(values.fences);
const CONCURRENCY = Number(values.concurrency);

async function run(fence: AttemptFence, keys: DialerKeys, inFlight: number): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < FENCES) {
        const i = next++;
        const jobId = `bench~${i}`;
        const number = `+5534984${String(100000 + i)}`;
        const record: AttemptRecord = {
          attempt: 1,
          id: randomUUID(),
          uri: `sip:${number}@x`,
          startedAt: Date.now(),
          state: 'live',
        };
        const begun = await fence.begin(jobId, number, record, 60_000);
        if (!begun.ok) throw new Error(`fence refused for ${number}`);
        await fence.finish(jobId, number, { ...record, state: 'done', sipCode: 486 });
      }
    }),
  );
  return ((performance.now() - started) * 1000) / FENCES;
}

const group = await OwnRedisSentinelGroup.start({
  password: 'bench-pw',
  sentinelPassword: 'bench-sentinel-pw',
});
const connections: RedisConnection[] = [];
try {
  const target = {
    sentinels: group.sentinelPorts.map((port) => ({ host: '127.0.0.1', port })),
    name: group.name,
    password: 'bench-pw',
    sentinelPassword: 'bench-sentinel-pw',
  };
  const redis = createRedisConnection(target, { maxRetriesPerRequest: null });
  const fenceRedis = duplicateRedisConnection(redis);
  connections.push(redis, fenceRedis);
  const figures: Record<string, number> = {};
  for (const [label, waits] of [
    ['no WAIT (baseline)', false],
    ['WAIT 1 replica', true],
  ] as const) {
    for (const inFlight of [1, CONCURRENCY]) {
      const keys = new DialerKeys(`{bench-${randomUUID().slice(0, 8)}}`);
      const fence = new AttemptFence({
        redis,
        keys,
        workerId: 'bench',
        ...(waits
          ? { replicaWait: { redis: fenceRedis, replicas: 1, timeoutMs: 1000, logger: silentLogger() } }
          : {}),
      });
      figures[`${label}, ${inFlight} in flight`] = await run(fence, keys, inFlight);
    }
  }
  console.log(`fence begin+finish, ${FENCES} fences per row, µs per fenced call (wall time / fences):`);
  for (const [row, us] of Object.entries(figures))
    console.log(`  ${row.padEnd(32)} ${us.toFixed(0).padStart(7)} µs`);
  const base1 = figures['no WAIT (baseline), 1 in flight'] ?? NaN;
  const wait1 = figures['WAIT 1 replica, 1 in flight'] ?? NaN;
  const baseC = figures[`no WAIT (baseline), ${CONCURRENCY} in flight`] ?? NaN;
  const waitC = figures[`WAIT 1 replica, ${CONCURRENCY} in flight`] ?? NaN;
  console.log(
    `  ratio WAIT / baseline: ${(wait1 / base1).toFixed(2)}× sequential, ${(waitC / baseC).toFixed(2)}× at ${CONCURRENCY} in flight`,
  );
  console.log(
    `BENCH_RESULT ${JSON.stringify({ name: 'sentinel-fence', fences: FENCES, concurrency: CONCURRENCY, usPerFence: figures })}`,
  );
} finally {
  for (const c of connections) c.disconnect();
  group.stop();
}
