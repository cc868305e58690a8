import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, silentLogger, type Logger } from '../../../src/log/index.js';
import { MediaScheduler, PromptCache, type RtpPortPool } from '../../../src/media/index.js';
import { EmbeddedSipEngine } from '../../../src/sip/embedded/embedded-engine.js';
import type { SipEngine } from '../../../src/sip/engine.js';
import { newAttemptRecord, placeAttempt, type PlacedAttempt } from '../../../src/workers/place-attempt.js';
import type { SrtpMode } from '../../../src/config/index.js';
import type { CallScript } from '../../../src/jobs/dial-job.js';
import { BARESIP, haveBaresip, startBaresip } from '../../helpers/baresip.js';
import { freeUdpPort } from '../../helpers/free-port.js';
import { pcmOf, sineWav, toneOf } from '../../helpers/sine-wav.js';
import { startSipp } from '../../helpers/sipp.js';
import { waitFor } from '../../helpers/wait-for.js';
import { drachtioEngine } from '../sip/engines-under-test.js';
import { openTestPool } from './open-test-pool.js';

const OUR_TONE_HZ = 440;
const THEIR_TONE_HZ = 1000;

/** What one SRTP call needs besides the engine: ports, a prompt folder, a logger. */
interface SrtpCallSetup {
  readonly engine: SipEngine;
  readonly pool: RtpPortPool;
  readonly dir: string;
  readonly logger: Logger;
}

function call(
  setup: SrtpCallSetup,
  hostPort: string,
  srtp: SrtpMode,
  script: CallScript,
): Promise<PlacedAttempt> {
  const uri = `sip:bob@${hostPort}`;
  return placeAttempt(
    {
      engine: setup.engine,
      ports: setup.pool,
      trunk: { name: 'carrier', proxy: hostPort, domain: '127.0.0.1', media: { srtp } },
      job: { v: 1, number: '+5534984149880', trunk: 'carrier', enqueuedAt: Date.now(), script },
      uri,
      attempt: 1,
      dialFormat: 'e164-digits',
      ringTimeoutMs: 5000,
      maxCallLengthMs: 20_000,
      workerId: 'srtp-test',
      logger: setup.logger,
      signal: new AbortController().signal,
      jobId: 'srtp-test',
      media: {
        settings: {
          promptsDir: setup.dir,
          recordingsDir: setup.dir,
          deadCallMs: 10_000,
          rtcpIntervalMs: 500,
        },
        scheduler: MediaScheduler.shared(),
        prompts: new PromptCache({ directory: setup.dir }),
      },
    },
    newAttemptRecord({ attempt: 1, uri, dialFormat: 'e164-digits', workerId: 'srtp-test' }),
  );
}

/** baresip (srtp-mand) answers with SDES; each side decrypts the other: we record its tone, it hears our prompt. */
async function eachSideDecrypts(setup: SrtpCallSetup): Promise<void> {
  const peer = await startBaresip({ source: sineWav(THEIR_TONE_HZ, 10_000), mediaenc: 'srtp-mand' });
  try {
    const placed = await call(setup, peer.hostPort, 'required', {
      play: 'tone.wav',
      record: 'callee',
      hangupAfterMs: 2500,
    });
    expect(placed.result, peer.output()).toMatchObject({ kind: 'answered', status: 200 });
    expect(placed.record.media?.packetsReceived, peer.output()).toBeGreaterThan(40);
    expect(placed.record.media?.srtp).toEqual({
      suite: 'AES_CM_128_HMAC_SHA1_80', // baresip takes the first line it can
      authFailures: 0,
      replayed: 0,
    });
    // baresip's libre decrypted our SRTP (it would log "failed to decrypt" otherwise) and said so.
    expect(peer.output()).toMatch(/SRTP is Enabled \(cryptosuite=AES_CM_128_HMAC_SHA1_(80|32)\)/);
    expect(peer.output()).not.toMatch(/failed to decrypt/);
    // What we decrypted is baresip's tone: only authenticated packets reach the recorder.
    const ours = toneOf(pcmOf(await readFile(placed.record.recording!.path!)));
    expect(ours.loudMs).toBeGreaterThan(1000);
    expect(Math.abs(ours.hz - THEIR_TONE_HZ)).toBeLessThan(THEIR_TONE_HZ * 0.05);
    // What baresip decrypted and decoded is our prompt (sndfile's "-dec" file: what it played).
    const heard = await waitFor(async () => (await peer.recordings()).find((f) => f.includes('-dec')), {
      what: 'baresip recording of what it heard',
    });
    // sndfile closes its file when the call ends, by our BYE.
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
}

describe.skipIf(!haveBaresip)(
  `SRTP (SDES) against baresip${haveBaresip ? '' : `: SKIPPED, ${BARESIP} is not installed (apt-get install baresip)`}`,
  () => {
    let engine: EmbeddedSipEngine;
    let pool: RtpPortPool;
    let dir: string;
    let logged = '';
    /** Every SDES key that went over the wire in either direction (read off the raw SIP). */
    const keysOnTheWire = new Set<string>();
    const logger = createLogger({
      level: 'debug',
      destination: new Writable({
        write(chunk: Buffer, _encoding, done) {
          logged += chunk.toString();
          done();
        },
      }),
    });

    beforeAll(async () => {
      // Every SIP message goes to the log (as probe --trace shows them): the SDP with its keys
      // must come out censored.
      engine = new EmbeddedSipEngine({
        listen: { host: '127.0.0.1', port: 0 },
        trace: (entry) => {
          const raw = entry.raw.toString();
          for (const m of raw.matchAll(/inline:([A-Za-z0-9+/=]+)/g)) keysOnTheWire.add(m[1]!);
          logger.debug({ direction: entry.direction, message: raw }, 'sip');
        },
      });
      await engine.start();
      pool = await openTestPool(2);
      dir = await mkdtemp(join(tmpdir(), 'srtp-'));
      await writeFile(join(dir, 'tone.wav'), sineWav(OUR_TONE_HZ, 1500));
    });

    afterAll(async () => {
      await engine?.close();
      await pool?.close();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    const setup = (): SrtpCallSetup => ({ engine, pool, dir, logger });

    it('required: baresip (srtp-mand) answers with SDES; each side decrypts the other, and no key reaches the log', async () => {
      await eachSideDecrypts(setup());
      expect(keysOnTheWire.size).toBeGreaterThanOrEqual(3); // our two offered lines and its answer
      for (const key of keysOnTheWire) expect(logged).not.toContain(key);
      expect(logged).toContain('inline:[redacted]');
    });

    it('required: an answer without a=crypto ends the call at once with SRTP_NEGOTIATION_FAILED', async () => {
      const sipp = await startSipp({
        scenario: 'uas-answer.xml',
        extraArgs: ['-mp', String(await freeUdpPort())],
      });
      const placed = await call(setup(), sipp.uri, 'required', { play: 'tone.wav' });
      expect(placed.result).toMatchObject({ kind: 'error', errorCode: 'SRTP_NEGOTIATION_FAILED' });
      expect(placed.record).toMatchObject({
        sipCode: 200,
        errorCode: 'SRTP_NEGOTIATION_FAILED',
        reason: expect.stringMatching(/no a=crypto/),
      });
      expect(placed.record.media).toBeUndefined();
      // The BYE went out: sipp's scenario ends only on it.
      expect(await sipp.waitForExit()).toBe(0);
    });
  },
);

const drachtioSkip =
  drachtioEngine.skip ?? (haveBaresip ? undefined : `${BARESIP} is not installed (apt-get install baresip)`);

/**
 * SRTP through the drachtio engine: drachtio-server only carries the SDP (our a=crypto offer, the
 * peer's answer); keys, cipher and RTP are the worker's own, as with the embedded engine.
 */
describe.skipIf(drachtioSkip !== undefined)(
  `SRTP (SDES) through drachtio-server against baresip${drachtioSkip !== undefined ? `: SKIPPED, ${drachtioSkip}` : ''}`,
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

    it('required: baresip (srtp-mand) answers with SDES through drachtio-server; each side decrypts the other', () =>
      eachSideDecrypts({ engine, pool, dir, logger: silentLogger() }));
  },
);
