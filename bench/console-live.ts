/**
 * What one live update of the console's campaign page costs: `GET /campaigns/:name/live.json`
 * (summary, pending split over the delayed jobs, AMD counts over the newest 50 000 outcomes,
 * last-minute rate) on a campaign with many outcomes and delayed jobs, next to
 * `GET /v1/campaigns/:name` (the summary alone: two Redis reads) in the same run.
 *
 * Run: npx tsx bench/console-live.ts [--numbers N] [--outcomes O] [--delayed D] [--requests R]
 *
 * Starts a private redis-server (no AOF) on a free port; needs redis-server on the PATH.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createApiServer } from '../src/api/index.js';
import { parseConfig } from '../src/config/index.js';
import { OutcomeStore, type CallOutcome } from '../src/jobs/index.js';
import { OwnRedis } from '../test/helpers/own-redis.js';

const { values } = parseArgs({
  options: {
    numbers: { type: 'string', default: '20000' },
    outcomes: { type: 'string', default: '15000' },
    delayed: { type: 'string', default: '3000' },
    requests: { type: 'string', default: '40' },
  },
});
const N = Number(values.numbers);
const O = Math.min(N, Number(values.outcomes));
const D = Math.min(N - O, Number(values.delayed));
const R = Number(values.requests);
const TOKEN = 'bench-token-0123456789-abcdef';

const redis = await OwnRedis.start({ appendonly: false });
const config = parseConfig(
  `redis: ${redis.url}\ntrunks:\n  - name: carrier\n    domain: carrier.test\n    defaultCountry: BR\napi:\n  token: \${T}\n`,
  { T: TOKEN },
);
const server = await createApiServer({ config, listen: { host: '127.0.0.1', port: 0 } });
const auth = { authorization: `Bearer ${TOKEN}` };
try {
  const numbers = Array.from({ length: N }, (_, i) => `+55349${String(80_000_000 + i)}`);
  const created = await server.app.inject({
    method: 'POST',
    url: '/v1/campaigns',
    headers: auth,
    payload: { name: 'big', numbers },
  });
  if (created.statusCode !== 201) throw new Error(`create: ${created.statusCode} ${created.body}`);
  const store = new OutcomeStore({ redis: server.client.redis, keys: server.client.keys });
  const t0 = Date.now();
  for (let i = 0; i < O; i++) {
    const e164 = numbers[i] as string;
    const outcome: CallOutcome = {
      jobId: `big~${e164}`,
      to: e164,
      trunk: 'carrier',
      campaign: 'big',
      status: i % 3 === 0 ? 'busy' : 'answered',
      reason: i % 3 === 0 ? '486 Busy Here' : '200 OK',
      enqueuedAt: t0,
      completedAt: t0 + i,
      attempts: [
        {
          attempt: 1,
          id: `${e164}-1`,
          uri: `sip:${e164}@carrier.test`,
          startedAt: t0 + i,
          state: 'done',
          sipCode: i % 3 === 0 ? 486 : 200,
          postDialDelayMs: 1500 + (i % 700),
        },
      ],
      ...(i % 3 !== 0 && {
        amd: {
          result: i % 5 === 0 ? 'machine' : 'human',
          reason: 'x',
          decisionMs: 2000,
          greetingMs: 800,
          words: 2,
        },
      }),
    };
    await store.writeOnce(outcome);
  }
  const queue = server.client.queue('carrier');
  for (let i = O; i < O + D; i++) {
    const id = `big~${numbers[i]}`;
    const job = await queue.getJob(id);
    if (job === undefined) continue;
    await job.remove();
    await queue.add(job.name, job.data, { jobId: id, delay: 3_600_000 });
    if (i % 2 === 0)
      await server.client.redis.hset(server.client.keys.attempts(id, numbers[i] ?? ''), 'a', '{}');
  }

  const time = async (url: string): Promise<{ p50: number; p95: number; max: number; bytes: number }> => {
    const ms: number[] = [];
    let bytes = 0;
    for (let i = 0; i < R; i++) {
      const start = performance.now();
      const r = await server.app.inject({ method: 'GET', url, headers: auth });
      ms.push(performance.now() - start);
      if (r.statusCode !== 200) throw new Error(`${url}: ${r.statusCode} ${r.body.slice(0, 200)}`);
      bytes = r.body.length;
    }
    ms.sort((a, b) => a - b);
    return {
      p50: ms[Math.floor(ms.length / 2)] as number,
      p95: ms[Math.ceil(0.95 * ms.length) - 1] as number,
      max: ms[ms.length - 1] as number,
      bytes,
    };
  };
  // The baseline first, to warm the JIT and the connection outside the figures. The live route's
  // first request scans the stream (its max); the rest within 10 s share that scan, as polls do.
  await time('/v1/campaigns/big');
  const baseline = await time('/v1/campaigns/big');
  const live = await time('/campaigns/big/live.json');
  const page = await time('/campaigns/big');
  const fmt = (x: { p50: number; p95: number; max: number; bytes: number }) =>
    `p50 ${x.p50.toFixed(1)} ms, p95 ${x.p95.toFixed(1)} ms, max ${x.max.toFixed(1)} ms, ${x.bytes} bytes`;
  console.log(`campaign of ${N} numbers, ${O} outcomes in the stream, ${D} delayed jobs; ${R} requests each`);
  console.log(`baseline GET /v1/campaigns/big        ${fmt(baseline)}`);
  console.log(
    `live update GET /campaigns/big/live.json ${fmt(live)}  (${(live.p50 / baseline.p50).toFixed(1)}x baseline)`,
  );
  console.log(`whole page GET /campaigns/big           ${fmt(page)}`);
  console.log(
    `BENCH_RESULT ${JSON.stringify({ numbers: N, outcomes: O, delayed: D, baselineP50Ms: baseline.p50, liveP50Ms: live.p50, liveP95Ms: live.p95, pageP50Ms: page.p50 })}`,
  );
} finally {
  await server.close();
  await redis.stop();
}
