import { describe, expect, it } from 'vitest';
import { DialerClient } from '../../../src/jobs/dialer-client.js';
import { OwnRedis } from '../../helpers/own-redis.js';
import { startSipp, type WireMessage } from '../../helpers/sipp.js';
import { TestHosts } from '../../helpers/test-hosts.js';
import { waitFor } from '../../helpers/wait-for.js';
import { workerConfig } from '../../helpers/worker-config.js';
import { startWorkerProcess, writeConfigFile, type WorkerProcess } from '../../helpers/worker-process.js';

const CALLS = 15;
const CPS = 4;
const CHANNELS = 3;
const unavailable = await TestHosts.unavailable();

/** sipp's `2026-11-26 09:54:39.964436` as ms (local time; only differences matter). */
const timeOf = (m: WireMessage): number => new Date(m.time.replace(' ', 'T')).getTime();
const received = (wire: readonly WireMessage[], method: string): WireMessage[] =>
  wire.filter((m) => m.direction === 'received' && m.method === method);

describe.skipIf(unavailable !== undefined)(
  `workers on three hosts (network namespaces)${unavailable === undefined ? '' : `: SKIPPED, ${unavailable}`}`,
  () => {
    it('hold the fleet-wide pace and channel caps on the carrier’s clock, and a host cut off leaves its jobs to the others without a second ring', async () => {
      const net = await TestHosts.create(3);
      const workers: WorkerProcess[] = [];
      let redis: OwnRedis | undefined;
      let client: DialerClient | undefined;
      try {
        // Redis and the carrier on the bridge only: a host reaches them over its one link, or not at all.
        redis = await OwnRedis.start({ bind: net.gateway, appendonly: false });
        const carrier = await startSipp({
          scenario: 'uas-answer.xml',
          host: net.gateway,
          // Room for retries: a call the cut host left ringing is dialled again once its fence lapses.
          calls: CALLS * 2,
          timeoutMs: 150_000,
        });
        const base = await workerConfig({
          redisUrl: redis.url,
          carrier: carrier.uri,
          cps: CPS,
          maxChannels: CHANNELS,
          // Short locks and leases, so a host that goes silent is given up on in seconds.
          extra:
            'workers: { lockDuration: 2s, stalledInterval: 1s, leaseTtl: 2s, orphanSweepInterval: 300ms }',
        });
        client = new DialerClient({ redis: redis.url, prefix: base.prefix });
        // One file per host, as on real machines: the same config, each with its own address.
        workers.push(
          ...(await Promise.all(
            net.hosts.map(async (host) => {
              const yaml = base.yaml
                .replace(/listen: 127\.0\.0\.1:/, `listen: ${host.address}:`)
                .replace(/address: 127\.0\.0\.1/, `address: ${host.address}`);
              return startWorkerProcess(await writeConfigFile(yaml), {}, undefined, { netns: host.netns });
            }),
          )),
        );
        const jobs = await client.enqueueMany(
          Array.from({ length: CALLS }, (_, i) => ({
            number: `+55349841${String(49000 + i)}`,
            script: { hangupAfterMs: 700 },
          })),
        );
        const ids = jobs.map((j) => {
          if (!j.ok) throw j.error;
          return j.call.jobId;
        });

        // The second host's cable is pulled while the campaign runs, with whatever it holds.
        const cutHost = net.hosts[1]!;
        await waitFor(
          async () =>
            received(await carrier.messages(), 'INVITE').filter((m) => viaHost(m) === cutHost.address)
              .length >= 1,
          { what: 'the second host has dialled', timeoutMs: 60_000 },
        );
        await net.cut(cutHost);
        const cutAt = Date.now();

        const outcomes = await Promise.all(
          ids.map((id) => client!.waitForOutcome(id, { timeoutMs: 120_000 })),
        );
        const wire = await carrier.messages();
        const invites = received(wire, 'INVITE');
        console.log(
          `3 hosts: ${CALLS} calls, ${invites.length} INVITEs; per host ${net.hosts
            .map((h) => invites.filter((m) => viaHost(m) === h.address).length)
            .join(
              '/',
            )}; the cut host's jobs done ${((Date.now() - cutAt) / 1000).toFixed(1)} s after the cut`,
        );

        // One final outcome each, every number reached.
        expect(outcomes.map((o) => o.status)).toEqual(ids.map(() => 'answered'));
        // Nobody rung twice at once: a number's next call comes only after the carrier's last word on
        // its previous one (a BYE, a CANCEL, or the last resend of a 2xx nobody ACKed).
        const calls = callsOf(wire);
        for (const number of new Set(calls.map((c) => c.number))) {
          const mine = calls.filter((c) => c.number === number).sort((a, b) => a.start - b.start);
          for (let i = 1; i < mine.length; i++)
            expect(mine[i]!.start, `${number}: call ${i + 1} while call ${i} was up`).toBeGreaterThan(
              mine[i - 1]!.end,
            );
        }
        // Every host dialled: the caps below held across machines, not within one process.
        for (const host of net.hosts)
          expect(
            invites.some((m) => viaHost(m) === host.address),
            host.address,
          ).toBe(true);

        // The pace, on the carrier's clock: no second holds more than CPS new calls.
        const starts = invites.map(timeOf).sort((a, b) => a - b);
        for (let i = 0; i + CPS < starts.length; i++)
          expect(starts[i + CPS]! - starts[i]!).toBeGreaterThanOrEqual(950);
        // The channels, on the carrier's side: never more than CHANNELS calls up at once, each from
        // its INVITE to the carrier's last word on it.
        const events = calls.flatMap((c): Array<[number, number]> => [
          [c.start, 1],
          [c.end, -1],
        ]);
        events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        let up = 0;
        let peak = 0;
        for (const [, delta] of events) peak = Math.max(peak, (up += delta));
        expect(peak).toBeLessThanOrEqual(CHANNELS);
      } finally {
        for (const w of workers) w.kill('SIGKILL');
        await Promise.all(workers.map((w) => w.exited));
        await client?.close();
        await redis?.kill();
        await net.close();
      }
    }, 180_000);
  },
);

/** Each call the carrier saw: its number, its INVITE's time and the time of its last message. */
function callsOf(wire: readonly WireMessage[]): Array<{ number: string; start: number; end: number }> {
  const byCallId = new Map<string, { number: string; start: number; end: number }>();
  for (const m of wire) {
    const id = m.headers['call-id'] ?? '';
    const at = timeOf(m);
    const call = byCallId.get(id);
    if (call !== undefined) call.end = Math.max(call.end, at);
    else if (m.direction === 'received' && m.method === 'INVITE')
      byCallId.set(id, { number: /^sip:\+?(\d+)@/.exec(m.requestUri ?? '')?.[1] ?? '', start: at, end: at });
  }
  return [...byCallId.values()];
}

/** The host an INVITE came from, by its top Via (the address the worker sent it from). */
function viaHost(m: WireMessage): string | undefined {
  return /^SIP\/2\.0\/\w+ ([^:;\s]+)/.exec(m.headers['via'] ?? '')?.[1];
}
