import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseDrachtioUrl } from '../../../src/config/parse-drachtio-url.js';
import { DialerClient } from '../../../src/jobs/dialer-client.js';
import { silentLogger } from '../../../src/log/create-logger.js';
import { DialerWorker } from '../../../src/workers/dialer-worker.js';
import { cadence, concat, silence, sit, toPcm } from '../../helpers/call-audio.js';
import { freeUdpPort } from '../../helpers/free-port.js';
import { writeRtpPcap } from '../../helpers/rtp-pcap.js';
import { SIPP_FIXTURES, startSipp, type SippPeer } from '../../helpers/sipp.js';
import { workerConfig } from '../../helpers/worker-config.js';
import { drachtioEngine } from '../sip/engines-under-test.js';

const redisUrl = inject('redisUrl');

/** Both engines: drachtio-server passes the 183's SDP up, the worker listens to the early media. */
const engines = [
  { name: 'embedded', extra: '', skip: undefined },
  {
    name: 'drachtio',
    extra: `engine: drachtio\ndrachtio: ${JSON.stringify(parseDrachtioUrl(process.env['DRACHTIO_URL'] ?? '') ?? {})}\n`,
    skip: drachtioEngine.skip,
  },
] as const;

/**
 * SIT tones in early media over real RTP: sipp sends 183 with SDP, plays a pcap made here as
 * early media, then its final answer (480, or 200). The tone decides the outcome, not the code.
 */
for (const engine of engines) {
  describe.skipIf(engine.skip !== undefined)(
    `SIT in early media (183 with SDP): ${engine.name}${
      engine.skip !== undefined ? ` SKIPPED: ${engine.skip}` : ''
    }`,
    () => {
      let worker: DialerWorker | undefined;
      let client: DialerClient | undefined;
      let dir: string;

      beforeAll(async () => {
        dir = await mkdtemp(join(tmpdir(), 'early-sit-'));
      });

      afterEach(async () => {
        await worker?.close(500);
        await client?.close();
        worker = undefined;
        client = undefined;
      });

      afterAll(() => rm(dir, { recursive: true, force: true }));

      async function setUp(
        name: string,
        fixture: 'uas-183-pcap-480.xml' | 'uas-183-pcap-200.xml',
        audio: Float64Array,
      ): Promise<{ producer: DialerClient; sipp: SippPeer }> {
        const pcap = join(dir, `${name}.pcap`);
        await writeRtpPcap(pcap, toPcm(audio), 'PCMA');
        const template = await readFile(join(SIPP_FIXTURES, fixture), 'utf8');
        const scenario = join(dir, `${name}.xml`);
        await writeFile(scenario, template.replaceAll('/usr/share/sip-tester/g711a.pcap', pcap));
        const sipp = await startSipp({ scenario, extraArgs: ['-mp', String(await freeUdpPort())] });
        const { config } = await workerConfig({ redisUrl, carrier: sipp.uri, extra: engine.extra });
        worker = await DialerWorker.start({ config, logger: silentLogger() });
        client = new DialerClient({ redis: redisUrl, prefix: config.queuePrefix });
        return { producer: client, sipp };
      }

      // The final answer comes 2.5 s after the 183: the ring timeout must not CANCEL first.
      const job = { number: '+5534984149880', amd: true, ringTimeoutMs: 20_000 } as const;

      it('a vacant-code SIT then 480: invalid-number, not retried (480 alone would be)', async () => {
        const { producer, sipp } = await setUp(
          'vacant-480',
          'uas-183-pcap-480.xml',
          concat(silence(200), sit('VC'), silence(800)),
        );
        const call = await producer.enqueueCall({ ...job, maxAttempts: 3 });
        const outcome = await producer.waitForOutcome(call.jobId, { timeoutMs: 20_000 });
        expect(outcome.status).toBe('invalid-number');
        expect(outcome.attempts).toHaveLength(1);
        expect(outcome.attempts[0]).toMatchObject({
          sipCode: 480,
          sit: { class: 'vacant', code: 'VC', early: true },
          pointsTo: 'invalid-number',
        });
        expect(await sipp.waitForExit()).toBe(0);
      });

      it('a no-circuit SIT then 480: carrier trouble (unreachable), not no-answer', async () => {
        const { producer, sipp } = await setUp(
          'no-circuit-480',
          'uas-183-pcap-480.xml',
          concat(silence(200), sit('NC'), silence(800)),
        );
        const call = await producer.enqueueCall({ ...job, maxAttempts: 1 });
        const outcome = await producer.waitForOutcome(call.jobId, { timeoutMs: 20_000 });
        expect(outcome.status).toBe('unreachable');
        expect(outcome.attempts[0]).toMatchObject({
          sipCode: 480,
          sit: { class: 'no-circuit', early: true },
        });
        expect(await sipp.waitForExit()).toBe(0);
      });

      it('a vacant-code SIT then 200: we hang up at once, and the number is invalid', async () => {
        const { producer, sipp } = await setUp(
          'vacant-200',
          'uas-183-pcap-200.xml',
          concat(silence(200), sit('VC'), silence(800)),
        );
        const call = await producer.enqueueCall({
          ...job,
          maxAttempts: 3,
          script: { hangupAfterMs: 20_000 },
        });
        const outcome = await producer.waitForOutcome(call.jobId, { timeoutMs: 20_000 });
        expect(outcome.status).toBe('invalid-number');
        expect(outcome.attempts).toHaveLength(1);
        expect(outcome.attempts[0]).toMatchObject({
          sipCode: 200,
          endReason: 'sit',
          hangupBy: 'local',
          noPerson: true,
          sit: { class: 'vacant', early: true },
        });
        expect(await sipp.waitForExit()).toBe(0);
      });

      it('ringback in early media then 480 is an ordinary no-answer', async () => {
        const { producer, sipp } = await setUp(
          'ringback-480',
          'uas-183-pcap-480.xml',
          cadence([440, 480], 1000, 500, 2400, -18),
        );
        const call = await producer.enqueueCall({ ...job, maxAttempts: 1 });
        const outcome = await producer.waitForOutcome(call.jobId, { timeoutMs: 20_000 });
        expect(outcome.status).toBe('no-answer');
        expect(outcome.attempts[0]!.sipCode).toBe(480);
        expect(outcome.attempts[0]!.sit).toBeUndefined();
        expect(await sipp.waitForExit()).toBe(0);
      });
    },
  );
}
