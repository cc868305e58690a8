import { describe, expect, inject, it } from 'vitest';
import { DialerClient } from '../../../src/jobs/dialer-client.js';
import { TrunkCircuit } from '../../../src/workers/trunk-circuit.js';
import { checkCredentials } from '../../helpers/digest.js';
import { startSipp, type WireMessage } from '../../helpers/sipp.js';
import { startWorkerProcess, writeConfigFile } from '../../helpers/worker-process.js';
import { workerConfig } from '../../helpers/worker-config.js';
import { waitFor } from '../../helpers/wait-for.js';

const redisUrl = inject('redisUrl');
const NUMBERS = 100;

const invitesOf = (wire: WireMessage[]): WireMessage[] =>
  wire.filter((m) => m.direction === 'received' && m.method === 'INVITE');

describe('a wrong trunk password never spends numbers (403 right after our credentials)', () => {
  it(`${NUMBERS} numbers on a non-registering trunk: 0 declined, all pending while the auth circuit is open; after the fix and a restart all are dialled`, async () => {
    const wrongCarrier = await startSipp({
      scenario: 'uas-proxy-auth-carrier.xml',
      calls: 10_000,
      vars: { reject: 'forbidden' },
      timeoutMs: 300_000,
    });
    const bad = await workerConfig({ redisUrl, carrier: wrongCarrier.uri, maxChannels: 10 });
    const client = new DialerClient({ redis: redisUrl, prefix: bad.prefix });
    const circuit = new TrunkCircuit({ redis: client.redis, keys: client.keys, trunk: 'carrier' });
    try {
      const first = await startWorkerProcess(
        await writeConfigFile(bad.yaml.replace('password: secret', 'password: not-the-secret')),
      );
      const jobs = await client.enqueueMany(
        Array.from({ length: NUMBERS }, (_, i) => ({
          number: `+55349841${String(49000 + i)}`,
          script: { hangupAfterMs: 200 },
        })),
      );
      const ids = jobs.map((j) => {
        if (!j.ok) throw j.error;
        return j.call.jobId;
      });
      const queue = client.queue('carrier');
      await waitFor(async () => (await circuit.state()).state === 'open', {
        what: 'the auth circuit opens',
        timeoutMs: 60_000,
      });
      expect(await circuit.state()).toMatchObject({ state: 'open', kind: 'auth' });
      await waitFor(async () => (await queue.getJobCounts('delayed')).delayed === NUMBERS, {
        what: `all ${NUMBERS} jobs put back`,
        timeoutMs: 60_000,
      });
      const dialled = invitesOf(await wrongCarrier.messages()).length;
      // Nothing is dialled while the circuit is open. Not watched for a fixed while: the jobs put
      // back before it opened (a 403 strike holds a job for 1 s) are waited for until the worker
      // has taken each again and put it back for the circuit's whole time (10 min); had one been
      // dialled instead, the carrier would have seen it.
      const open = await circuit.state();
      if (open.state !== 'open') throw new Error(`expected the circuit still open, got ${open.state}`);
      // When each job is due: BullMQ scores its delayed set by due time × 0x1000 (a job's own
      // `delay` is counted from when it was put back, its `timestamp` from when it was made).
      // Delays are set on this machine's clock, the circuit's end on Redis's (the same machine).
      const heldForTheCircuit = async (): Promise<boolean> => {
        const scores = await client.redis.zrange(queue.toKey('delayed'), '0', '-1', 'WITHSCORES');
        const due = scores.filter((_, i) => i % 2 === 1).map((score) => Math.floor(Number(score) / 0x1000));
        return due.length === NUMBERS && due.every((at) => at >= open.until - 5_000);
      };
      await waitFor(heldForTheCircuit, { what: 'every job held until the circuit may close' });
      // And each is in the set a closing circuit (or a restarted worker's probe) releases.
      expect((await client.redis.smembers(client.keys.circuitHeld('carrier'))).sort()).toEqual(
        [...ids].sort(),
      );
      expect(invitesOf(await wrongCarrier.messages())).toHaveLength(dialled);
      const finals = await Promise.all(ids.map((id) => client.getOutcome(id)));
      expect(finals.filter((o) => o !== undefined)).toEqual([]);
      // The carrier saw our (wrong) credentials, each a valid digest of the password configured.
      const signed = invitesOf(await wrongCarrier.messages()).filter(
        (m) => m.headers['proxy-authorization'] !== undefined,
      );
      console.log(
        `wrong password: ${dialled} INVITEs (${signed.length} with credentials) for ${NUMBERS} numbers; 0 final`,
      );
      expect(signed.length).toBeGreaterThanOrEqual(3);
      expect(signed.length).toBeLessThanOrEqual(20);
      for (const m of signed) {
        expect(checkCredentials(m, { username: 'dialer1', password: 'not-the-secret' }).valid).toBe(true);
        expect(checkCredentials(m, { username: 'dialer1', password: 'secret' }).valid).toBe(false);
      }
      const errors = first.lines
        .map((l) => JSON.parse(l) as { level?: number; reason?: string; msg?: string })
        .filter((l) => l.level === 50 && /403 Forbidden/.test(l.reason ?? ''));
      expect(errors.length).toBeGreaterThanOrEqual(1);
      first.kill('SIGTERM');
      await first.exited;
      await wrongCarrier.stop();

      const goodCarrier = await startSipp({
        scenario: 'uas-proxy-auth-carrier.xml',
        calls: 10_000,
        timeoutMs: 300_000,
      });
      const good = await workerConfig({
        redisUrl,
        carrier: goodCarrier.uri,
        maxChannels: 10,
        prefix: bad.prefix,
      });
      const second = await startWorkerProcess(await writeConfigFile(good.yaml));
      try {
        const outcomes = await Promise.all(
          ids.map((id) => client.waitForOutcome(id, { timeoutMs: 120_000 })),
        );
        const byStatus: Record<string, number> = {};
        for (const o of outcomes) byStatus[o.status] = (byStatus[o.status] ?? 0) + 1;
        expect(byStatus).toEqual({ answered: NUMBERS });
        // Each number's 403 is kept on its outcome as a held trunk-fault attempt.
        const held = outcomes.flatMap((o) => o.attempts.filter((a) => a.trunkFault === true));
        expect(held.length).toBeGreaterThanOrEqual(3);
        for (const a of held) expect(a.sipCode).toBe(403);
        expect((await circuit.state()).state).toBe('closed');
        const answeredInvites = invitesOf(await goodCarrier.messages()).filter(
          (m) => m.headers['proxy-authorization'] !== undefined,
        );
        for (const m of answeredInvites)
          expect(checkCredentials(m, { username: 'dialer1', password: 'secret' }).valid).toBe(true);
      } finally {
        second.kill('SIGTERM');
        await second.exited;
        await goodCarrier.stop();
      }
    } finally {
      circuit.close();
      await client.close();
      await wrongCarrier.stop();
    }
  }, 240_000);
});
