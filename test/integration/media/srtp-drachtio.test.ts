import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaScheduler, PromptCache, type RtpPortPool } from '../../../src/media/index.js';
import { silentLogger } from '../../../src/log/index.js';
import type { SipEngine } from '../../../src/sip/engine.js';
import { newAttemptRecord, placeAttempt, type PlacedAttempt } from '../../../src/workers/place-attempt.js';
import type { CallScript } from '../../../src/jobs/dial-job.js';
import { BARESIP, haveBaresip, startBaresip } from '../../helpers/baresip.js';
import { pcmOf, sineWav, toneOf } from '../../helpers/sine-wav.js';
import { waitFor } from '../../helpers/wait-for.js';
import { drachtioEngine } from '../sip/engines-under-test.js';
import { openTestPool } from './open-test-pool.js';

const OUR_TONE_HZ = 440;
const THEIR_TONE_HZ = 1000;

const skip =
  drachtioEngine.skip ?? (haveBaresip ? undefined : `${BARESIP} is not installed (apt-get install baresip)`);

/**
 * SRTP through the drachtio engine: drachtio-server only carries the SDP (our a=crypto offer, the
 * peer's answer); keys, cipher and RTP are the worker's own, as with the embedded engine.
 */
describe.skipIf(skip !== undefined)(
  `SRTP (SDES) through drachtio-server against baresip${skip !== undefined ? `: SKIPPED, ${skip}` : ''}`,
  () => {
    let engine: SipEngine;
    let pool: RtpPortPool;
    let dir: string;

    beforeAll(async () => {
      engine = await drachtioEngine.create({ transport: 'udp' });
      pool = await openTestPool(2);
      dir = await mkdtemp(join(tmpdir(), 'srtp-drachtio-'));
      await writeFile(join(dir, 'tone.wav'), sineWav(OUR_TONE_HZ, 1500));
    });

    afterAll(async () => {
      await engine?.close();
      await pool?.close();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    function call(hostPort: string, script: CallScript): Promise<PlacedAttempt> {
      const uri = `sip:bob@${hostPort}`;
      return placeAttempt(
        {
          engine,
          ports: pool,
          trunk: { name: 'carrier', proxy: hostPort, domain: '127.0.0.1', media: { srtp: 'required' } },
          job: { v: 1, number: '+5534984149880', trunk: 'carrier', enqueuedAt: Date.now(), script },
          uri,
          attempt: 1,
          dialFormat: 'e164-digits',
          ringTimeoutMs: 5000,
          maxCallLengthMs: 20_000,
          workerId: 'srtp-drachtio-test',
          logger: silentLogger(),
          signal: new AbortController().signal,
          jobId: 'srtp-drachtio-test',
          media: {
            settings: { promptsDir: dir, recordingsDir: dir, deadCallMs: 10_000, rtcpIntervalMs: 500 },
            scheduler: MediaScheduler.shared(),
            prompts: new PromptCache({ directory: dir }),
          },
        },
        newAttemptRecord({ attempt: 1, uri, dialFormat: 'e164-digits', workerId: 'srtp-drachtio-test' }),
      );
    }

    it('required: baresip (srtp-mand) answers with SDES through drachtio-server; each side decrypts the other', async () => {
      const peer = await startBaresip({ source: sineWav(THEIR_TONE_HZ, 10_000), mediaenc: 'srtp-mand' });
      try {
        const placed = await call(peer.hostPort, { play: 'tone.wav', record: 'callee', hangupAfterMs: 2500 });
        expect(placed.result, peer.output()).toMatchObject({ kind: 'answered', status: 200 });
        expect(placed.record.media?.srtp).toEqual({
          suite: 'AES_CM_128_HMAC_SHA1_80',
          authFailures: 0,
          replayed: 0,
        });
        expect(placed.record.media?.packetsReceived, peer.output()).toBeGreaterThan(40);
        expect(peer.output()).toMatch(/SRTP is Enabled \(cryptosuite=AES_CM_128_HMAC_SHA1_(80|32)\)/);
        expect(peer.output()).not.toMatch(/failed to decrypt/);
        const ours = toneOf(pcmOf(await readFile(placed.record.recording!.path!)));
        expect(ours.loudMs).toBeGreaterThan(1000);
        expect(Math.abs(ours.hz - THEIR_TONE_HZ)).toBeLessThan(THEIR_TONE_HZ * 0.05);
        const heard = await waitFor(async () => (await peer.recordings()).find((f) => f.includes('-dec')), {
          what: 'baresip recording of what it heard',
        });
        const theirs = await waitFor(
          async () => {
            const tone = toneOf(pcmOf(await readFile(heard)));
            return tone.loudMs >= 1000 ? tone : undefined;
          },
          { what: 'our prompt in what baresip heard' },
        );
        expect(Math.abs(theirs.hz - OUR_TONE_HZ), peer.output()).toBeLessThan(OUR_TONE_HZ * 0.05);
      } finally {
        await peer.stop();
      }
    });
  },
);
