import { describe, expect, it } from 'vitest';
import { DialerClient } from '../../../src/jobs/dialer-client.js';
import { createLogger } from '../../../src/log/create-logger.js';
import { DialerWorker } from '../../../src/workers/dialer-worker.js';
import { hasRedisSentinel, OwnRedisSentinelGroup } from '../../helpers/own-redis-sentinel-group.js';
import { startSipp, type WireMessage } from '../../helpers/sipp.js';
import { waitFor } from '../../helpers/wait-for.js';
import { workerConfig } from '../../helpers/worker-config.js';

// Distinctive values: a hit in a log line can only be a leak.
const PASSWORD = 'Sentinel-Data-Pw-71c0e4';
const SENTINEL_PASSWORD = 'Sentinel-Own-Pw-5a93bd';

const sentinel = hasRedisSentinel();
if (!sentinel)
  console.warn('sentinel-failover: redis-sentinel is not installed (Debian package redis-sentinel): skipped');

describe.skipIf(!sentinel)('a campaign through a Sentinel group', () => {
  it(
    'survives the primary SIGKILLed mid-campaign: every job one outcome, every number rung once',
    { timeout: 90_000 },
    async () => {
      const calls = 16;
      const group = await OwnRedisSentinelGroup.start({
        password: PASSWORD,
        sentinelPassword: SENTINEL_PASSWORD,
      });
      const peer = await startSipp({ scenario: 'uas-answer.xml', calls, timeoutMs: 80_000 });
      // workerConfig writes its `redisUrl` after `redis:` as it is: here the group's YAML mapping.
      const { config } = await workerConfig({
        redisUrl: group.sentinelYaml,
        carrier: peer.uri,
        cps: 8,
        maxChannels: 4,
      });
      const lines: string[] = [];
      const logger = createLogger({
        level: 'info',
        destination: { write: (l: string) => void lines.push(l) },
      });
      let worker: DialerWorker | undefined;
      const client = new DialerClient({ redis: config.redis, prefix: config.queuePrefix });
      try {
        worker = await DialerWorker.start({ config, logger });
        const jobs = await client.enqueueMany(
          Array.from({ length: calls }, (_, i) => ({
            number: `+55349841${String(61000 + i)}`,
            script: { hangupAfterMs: 300 },
          })),
        );
        const ids = jobs.map((j) => (j.ok ? j.call.jobId : ''));
        expect(ids.every((id) => id !== '')).toBe(true);
        const outcomes = async (): Promise<number> =>
          await client.redis.xlen(client.keys.outcomes).catch(() => -1);
        await waitFor(async () => (await outcomes()) >= 4, { what: 'four outcomes before the failover' });

        const killedAt = performance.now();
        const linesBeforeKill = lines.length;
        group.killPrimary();
        await waitFor(async () => (await group.primaryAddress()) === group.replicaPort, {
          what: 'the sentinels to promote the replica',
        });
        const promotedAt = performance.now();

        await waitFor(async () => (await outcomes()) >= calls, {
          what: 'every outcome after the failover',
          timeoutMs: 60_000,
        });
        const stream = await client.redis.xrange(client.keys.outcomes, '-', '+');
        const perJob = new Map<string, string[]>();
        for (const [, fields] of stream) {
          const id = fields[fields.indexOf('jobId') + 1] ?? '';
          perJob.set(id, [...(perJob.get(id) ?? []), fields[fields.indexOf('status') + 1] ?? '']);
        }
        expect(new Set(perJob.keys())).toEqual(new Set(ids));
        expect([...perJob.values()].filter((statuses) => statuses.join() !== 'answered')).toEqual([]);

        // The carrier's own view: one dialog per number, however many times its INVITE was resent.
        const dialogs = dialogsPerNumber(await peer.messages());
        expect(dialogs.size).toBe(calls);
        expect([...dialogs].filter(([, callIds]) => callIds.size !== 1)).toEqual([]);

        for (const secret of [PASSWORD, SENTINEL_PASSWORD])
          expect(lines.filter((l) => l.includes(secret))).toEqual([]);
        // Every fence write waited for the replica: confirmed while it was there; after the
        // failover none is left, so WAIT came back short and said so (the call went on each time).
        const unconfirmedAt = (from: number, to?: number): number =>
          lines.slice(from, to).filter((l) => l.includes('did not confirm')).length;
        expect(unconfirmedAt(0, linesBeforeKill)).toBe(0);
        const unconfirmed = unconfirmedAt(linesBeforeKill);
        expect(unconfirmed).toBeGreaterThan(0);
        console.info(
          `sentinel-failover: promoted ${Math.round(promotedAt - killedAt)} ms after the kill; ` +
            `campaign done ${Math.round(performance.now() - promotedAt)} ms after; ` +
            `${unconfirmed} fence/attempt writes not confirmed by a replica (the call went on)`,
        );
      } finally {
        await worker?.close(1000);
        await client.close();
        group.stop();
        await peer.stop();
      }
    },
  );
});

/** Number dialled (Request-URI user) → the Call-IDs of the INVITEs the carrier received for it. */
function dialogsPerNumber(messages: readonly WireMessage[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const m of messages) {
    if (m.direction !== 'received' || m.method !== 'INVITE') continue;
    const number = /^sips?:([^@;]+)/.exec(m.requestUri ?? '')?.[1] ?? '?';
    const callIds = out.get(number) ?? new Set<string>();
    callIds.add(m.headers['call-id'] ?? '');
    out.set(number, callIds);
  }
  return out;
}
