import { describe, expect, inject, it } from 'vitest';
import type { AttemptRecord } from '../../../src/jobs/call-outcome.js';
import { DialerClient } from '../../../src/jobs/dialer-client.js';
import type { RegisteredDialog } from '../../../src/workers/dialog-registry.js';
import { startSipp } from '../../helpers/sipp.js';
import { startWorkerProcess, writeConfigFile } from '../../helpers/worker-process.js';
import { waitFor } from '../../helpers/wait-for.js';
import { workerConfig } from '../../helpers/worker-config.js';

const redisUrl = inject('redisUrl');

/** The dialogs every worker has registered in Redis, as another worker would find them. */
async function registeredDialogs(client: DialerClient): Promise<RegisteredDialog[]> {
  const owners = await client.redis.smembers(client.keys.dialogOwners);
  const all: RegisteredDialog[] = [];
  for (const id of owners)
    for (const json of await client.redis.hvals(client.keys.workerDialogs(id)))
      all.push(JSON.parse(json) as RegisteredDialog);
  return all;
}

// Short lease and sweep so the test is quick; the BullMQ lock is short too, so a re-run of the
// job on the second worker races the sweeper, as it would in production.
const WORKERS =
  'workers: { lockDuration: 2s, stalledInterval: 1s, leaseTtl: 2s, orphanSweepInterval: 300ms }';

describe('calls of a worker that died', () => {
  it('an answered call is ended by another worker (BYE on the carrier), recorded on the attempt, and the number is not rung again', async () => {
    // Answers and then waits for our BYE: nobody but a dialer ends this call.
    const peer = await startSipp({ scenario: 'uas-answer.xml', calls: 1, timeoutMs: 90_000 });
    const { yaml, prefix } = await workerConfig({ redisUrl, carrier: peer.uri, extra: WORKERS });
    const file = await writeConfigFile(yaml);
    const client = new DialerClient({ redis: redisUrl, prefix });
    try {
      const first = await startWorkerProcess(file);
      const call = await client.enqueueCall({ number: '+5534984149880', maxCallLengthMs: 600_000 });
      const dialog = await waitFor(
        async () => (await registeredDialogs(client)).find((d) => d.snapshot.state === 'confirmed'),
        { what: 'the answered dialog registered' },
      );
      first.kill('SIGKILL');
      await first.exited;
      const killedAt = Date.now();
      const second = await startWorkerProcess(file);
      const outcome = await client.waitForOutcome(call.jobId, { timeoutMs: 60_000 });
      const wire = await peer.messages();
      second.kill('SIGTERM');
      await second.exited;

      expect(outcome.status).toBe('answered');
      expect(outcome.attempts).toHaveLength(1);
      const attempt = outcome.attempts[0] as AttemptRecord;
      expect(attempt).toMatchObject({ state: 'done', sipCode: 200, endReason: 'orphan-bye' });
      // The 200 reaches the sweeper here only because it took over the dead worker's port: sipp
      // answers where the dialog began, not at the BYE's Via.
      expect(attempt.orphan).toMatchObject({ method: 'BYE', status: 200 });
      expect(attempt.orphan?.endedBy).not.toBe(dialog.workerId);
      // The carrier's own record: one INVITE, and a BYE for its dialog from the dialer.
      const invites = wire.filter((m) => m.direction === 'received' && m.method === 'INVITE');
      expect(invites).toHaveLength(1);
      const bye = wire.find(
        (m) =>
          m.direction === 'received' && m.method === 'BYE' && m.headers['call-id'] === dialog.snapshot.callId,
      );
      expect(bye).toBeDefined();
      console.log(`orphaned answered call ended ${(attempt.orphan!.at - killedAt) / 1000} s after the kill`);
      // Released: nothing holds the number any more.
      expect(await client.redis.exists(client.keys.liveCall('+5534984149880'))).toBe(0);
    } finally {
      await client.close();
      await peer.stop();
    }
  }, 120_000);

  it('a ringing call is cancelled by another worker with the INVITE’s own Via, and the number stays fenced for a late answer', async () => {
    const peer = await startSipp({ scenario: 'uas-ring-no-answer.xml', calls: 1, timeoutMs: 90_000 });
    const { yaml, prefix } = await workerConfig({ redisUrl, carrier: peer.uri, extra: WORKERS });
    const file = await writeConfigFile(yaml);
    const client = new DialerClient({ redis: redisUrl, prefix });
    try {
      const first = await startWorkerProcess(file);
      const call = await client.enqueueCall({ number: '+5534984149881', ringTimeoutMs: 300_000 });
      const dialog = await waitFor(
        async () => (await registeredDialogs(client)).find((d) => d.snapshot.state === 'early'),
        { what: 'the ringing dialog registered' },
      );
      first.kill('SIGKILL');
      await first.exited;
      const second = await startWorkerProcess(file);
      const cancel = await waitFor(
        async () => (await peer.messages()).find((m) => m.direction === 'received' && m.method === 'CANCEL'),
        { what: 'the CANCEL at the carrier' },
      );
      const invite = (await peer.messages()).find((m) => m.direction === 'received' && m.method === 'INVITE');
      // The carrier matches a CANCEL to its INVITE by the top Via: it must be the dead worker's.
      expect(cancel.headers['via']).toBe(invite?.headers['via']);
      expect(cancel.headers['call-id']).toBe(dialog.snapshot.callId);
      const record = await waitFor(
        async () => {
          const json = await client.redis.hget(
            client.keys.attempts(call.jobId, '+5534984149881'),
            dialog.attemptId,
          );
          const parsed = json ? (JSON.parse(json) as AttemptRecord) : undefined;
          return parsed?.orphan ? parsed : undefined;
        },
        { what: 'the orphan CANCEL on the attempt' },
      );
      expect(record).toMatchObject({ endReason: 'orphan-cancel', orphan: { method: 'CANCEL' } });
      // The carrier may still answer the CANCELled INVITE to the dead worker: the fence holds.
      expect(await client.redis.pttl(client.keys.liveCall('+5534984149881'))).toBeGreaterThan(0);
      second.kill('SIGTERM');
      await second.exited;
    } finally {
      await client.close();
      await peer.stop();
    }
  }, 120_000);
});

describe('a worker that stalls with a call up', () => {
  it('is treated as dead once its lease lapses: its call is ended for it, the job ends answered on another worker, and it says so when it wakes', async () => {
    const peer = await startSipp({ scenario: 'uas-answer.xml', calls: 1, timeoutMs: 90_000 });
    const { yaml, prefix } = await workerConfig({ redisUrl, carrier: peer.uri, extra: WORKERS });
    const file = await writeConfigFile(yaml);
    const client = new DialerClient({ redis: redisUrl, prefix });
    const first = await startWorkerProcess(file);
    try {
      const call = await client.enqueueCall({ number: '+5534984149882', maxCallLengthMs: 600_000 });
      await waitFor(
        async () => (await registeredDialogs(client)).find((d) => d.snapshot.state === 'confirmed'),
        { what: 'the answered dialog registered' },
      );
      // A frozen event loop, as under a long GC pause or a starved VM: no lease renewals, no lock.
      first.kill('SIGSTOP');
      // The stalled process still holds its ports: the second worker is another machine's config.
      const other = await workerConfig({ redisUrl, carrier: peer.uri, extra: WORKERS, prefix });
      const second = await startWorkerProcess(await writeConfigFile(other.yaml));
      const outcome = await client.waitForOutcome(call.jobId, { timeoutMs: 60_000 });
      first.kill('SIGCONT');
      await waitFor(() => first.lines.some((l) => l.includes('liveness lease had lapsed')), {
        what: 'the woken worker says its lease lapsed',
      });
      const wire = await peer.messages();
      second.kill('SIGTERM');
      await second.exited;

      expect(outcome.status).toBe('answered');
      expect(outcome.attempts).toHaveLength(1);
      // sipp answers the BYE at the stalled worker's address (where its dialog began), not at the
      // Via as RFC 3261 §18.2.2 says, so whether the sweeper heard the 200 says nothing here.
      expect(outcome.attempts[0]?.orphan?.method).toBe('BYE');
      const bye = wire.find((m) => m.direction === 'received' && m.method === 'BYE');
      expect(bye).toBeDefined();
      expect(
        wire.some((m) => m.direction === 'sent' && m.status === 200 && m.headers['cseq']?.endsWith('BYE')),
      ).toBe(true);
      // Nobody rang the number a second time, stalled worker or not.
      expect(wire.filter((m) => m.direction === 'received' && m.method === 'INVITE')).toHaveLength(1);
      const lapsed = first.lines.find((l) => l.includes('liveness lease had lapsed'));
      expect((JSON.parse(lapsed ?? '{}') as { level?: number }).level).toBe(50);
    } finally {
      first.kill('SIGKILL');
      await first.exited;
      await client.close();
      await peer.stop();
    }
  }, 120_000);
});
