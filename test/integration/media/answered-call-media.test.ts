import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CallScript } from '../../../src/jobs/dial-job.js';
import { silentLogger } from '../../../src/log/index.js';
import {
  MediaScheduler,
  PromptCache,
  type CallMediaRuntime,
  type CallMediaSettings,
  type RtpPortPool,
} from '../../../src/media/index.js';
import { EmbeddedSipEngine } from '../../../src/sip/embedded/embedded-engine.js';
import {
  newAttemptRecord,
  placeAttempt,
  type PlaceAttemptInput,
  type PlacedAttempt,
} from '../../../src/workers/place-attempt.js';
import { freeUdpPort } from '../../helpers/free-port.js';
import { startSipp, type SippPeer } from '../../helpers/sipp.js';
import { waitFor } from '../../helpers/wait-for.js';
import { toneWav } from '../../fixtures/media/make-wav.js';
import { openTestPool } from './open-test-pool.js';

let engine: EmbeddedSipEngine;
let pool: RtpPortPool;
let promptsDir: string;
const PAIRS = 2;

beforeAll(async () => {
  engine = new EmbeddedSipEngine({ listen: { host: '127.0.0.1', port: 0 } });
  await engine.start();
  pool = await openTestPool(PAIRS);
  promptsDir = await mkdtemp(join(tmpdir(), 'prompts-'));
  // 44.1 kHz stereo 16-bit: what a prompt recorded on a desktop looks like.
  await writeFile(
    join(promptsDir, 'tone.wav'),
    toneWav({ ms: 1000, rate: 44100, channels: 2, bitDepth: '16' }),
  );
});

afterAll(async () => {
  await engine?.close();
  await pool?.close();
  if (promptsDir) await rm(promptsDir, { recursive: true, force: true });
});

afterEach(() => {
  // Every path gives the port back: answered, failed, dead, aborted, crashed.
  expect(pool.leased).toBe(0);
  expect(pool.size).toBe(PAIRS);
});

function runtime(settings: Partial<CallMediaSettings> = {}): CallMediaRuntime {
  return {
    settings: {
      promptsDir,
      recordingsDir: promptsDir,
      deadCallMs: 10_000,
      rtcpIntervalMs: 1000,
      ...settings,
    },
    scheduler: MediaScheduler.shared(),
    prompts: new PromptCache({ directory: promptsDir }),
  };
}

async function peer(scenario: string): Promise<{ sipp: SippPeer; mediaPort: number }> {
  const mediaPort = await freeUdpPort();
  const sipp = await startSipp({ scenario, extraArgs: ['-mp', String(mediaPort)] });
  return { sipp, mediaPort };
}

function call(
  sipp: SippPeer,
  script: CallScript | undefined,
  extra: Partial<PlaceAttemptInput> = {},
): Promise<PlacedAttempt> {
  const uri = 'sip:5534984149880@carrier.test';
  return placeAttempt(
    {
      engine,
      ports: pool,
      trunk: { name: 'carrier', proxy: sipp.uri, domain: 'carrier.test' },
      job: {
        v: 1,
        number: '+5534984149880',
        trunk: 'carrier',
        enqueuedAt: Date.now(),
        ...(script ? { script } : {}),
      },
      uri,
      attempt: 1,
      dialFormat: 'e164-digits',
      ringTimeoutMs: 5000,
      maxCallLengthMs: 20_000,
      workerId: 'media-test',
      logger: silentLogger(),
      signal: new AbortController().signal,
      jobId: 'media-test',
      media: runtime(),
      ...extra,
    },
    newAttemptRecord({ attempt: 1, uri, dialFormat: 'e164-digits', workerId: 'media-test' }),
  );
}

/** Packets a 20 ms stream holds over `ms`, and a tolerance of a few percent plus a couple of packets. */
function near(actual: number, ms: number): void {
  const ideal = ms / 20;
  expect(actual).toBeGreaterThanOrEqual(Math.floor(ideal * 0.95) - 2);
  expect(actual).toBeLessThanOrEqual(Math.ceil(ideal * 1.05) + 2);
}

describe('media on answered calls, against sipp', () => {
  it.each([
    ['PCMU', 'uas-answer-echo-pcmu.xml'],
    ['PCMA', 'uas-answer-echo-pcma.xml'],
  ] as const)(
    '%s: a 20 ms stream for the whole call, echoed back by sipp -rtp_echo',
    async (codec, scenario) => {
      const { sipp, mediaPort } = await peer(scenario);
      const { record, result } = await call(sipp, { hangupAfterMs: 2000 });
      expect(result.kind).toBe('answered');
      expect(record).toMatchObject({
        hangupBy: 'local',
        endReason: 'hangup-after',
        reason: 'answered; ended by local (hangup-after)',
      });
      const media = record.media!;
      expect(media.codec).toBe(codec);
      near(media.packetsSent, record.talkMs!);
      // The echo sends back what it got; the last few may cross our BYE.
      expect(media.packetsReceived).toBeGreaterThanOrEqual(media.packetsSent - 5);
      expect(media.packetsReceived).toBeLessThanOrEqual(media.packetsSent);
      expect(media.packetsLost).toBeLessThanOrEqual(2);
      expect(media.remote).toBe(`127.0.0.1:${mediaPort}`);
      expect(media.rtcpSent).toBeGreaterThan(0);
      expect(await sipp.waitForExit()).toBe(0);
    },
  );

  it('plays a 44.1 kHz stereo WAV prompt, converted to the answer codec, then hangs up (script-done)', async () => {
    const { sipp } = await peer('uas-answer-echo-pcma.xml');
    const { record } = await call(sipp, { play: 'tone.wav', repeat: 2 });
    expect(record.endReason).toBe('script-done');
    expect(record.media).toMatchObject({ codec: 'PCMA', promptsPlayed: 2 });
    // Two seconds of prompt: 100 packets, and the call's length follows the prompt's.
    expect(record.media!.packetsSent).toBeGreaterThanOrEqual(100);
    near(record.media!.packetsSent, record.talkMs!);
    expect(await sipp.waitForExit()).toBe(0);
  });

  it('collects RFC 4733 digits played from sipp pcaps (repeated end packets count once), up to the terminator', async () => {
    const { sipp } = await peer('uas-pcap-dtmf.xml');
    const { record } = await call(sipp, { collect: { maxDigits: 5, timeoutMs: 5000, terminator: '#' } });
    expect(record.digits).toBe('12');
    expect(record.endReason).toBe('script-done');
    expect(record.media).toMatchObject({ codec: 'PCMA', dtmfReceived: 3, collectEnd: 'terminator' });
    expect(await sipp.waitForExit()).toBe(0);
  });

  it('receives A-law audio from a pcap: packets counted, no loss, jitter measured', async () => {
    const { sipp } = await peer('uas-pcap-audio.xml');
    const { record } = await call(sipp, { hangupAfterMs: 2500 });
    const media = record.media!;
    expect(media.codec).toBe('PCMA');
    // g711a.pcap carries 236 packets over 7 s; 2.5 s of it is about 80.
    expect(media.packetsReceived).toBeGreaterThan(50);
    expect(media.packetsLost).toBe(0);
    expect(media.jitterMs).toBeGreaterThanOrEqual(0);
    near(media.packetsSent, record.talkMs!);
    expect(await sipp.waitForExit()).toBe(0);
  });

  it('takes DTMF from SIP INFO (application/dtmf-relay and application/dtmf)', async () => {
    const { sipp } = await peer('uas-info-dtmf.xml');
    const { record } = await call(sipp, { collect: { maxDigits: 4, timeoutMs: 5000, terminator: '#' } });
    expect(record.digits).toBe('42');
    expect(record.media).toMatchObject({ collectEnd: 'terminator', dtmfReceived: 0 });
    expect(await sipp.waitForExit()).toBe(0);
  });

  it('a far end that sends no RTP is hung up on with rtp-timeout', async () => {
    const { sipp } = await peer('uas-answer.xml');
    const { record } = await call(sipp, undefined, { media: runtime({ deadCallMs: 800 }) });
    expect(record).toMatchObject({ hangupBy: 'local', endReason: 'rtp-timeout' });
    expect(record.media!.packetsReceived).toBe(0);
    expect(record.media!.packetsSent).toBeGreaterThan(0);
    expect(await sipp.waitForExit()).toBe(0);
  });

  it('a prompt that cannot be played fails the attempt before any INVITE', async () => {
    const { sipp } = await peer('uas-answer.xml');
    const { record, result } = await call(sipp, { play: 'missing.wav' });
    expect(result.kind).toBe('error');
    expect(record.reason).toMatch(/missing\.wav/);
    const bad = await call(sipp, { play: '../../etc/passwd' });
    expect(bad.record.reason).toMatch(/leaves the prompts directory/);
    expect(await sipp.messages()).toEqual([]);
    await sipp.stop();
  });

  it('the port goes back when the call is aborted, refused, or the caller code throws mid-call', async () => {
    const aborted = await peer('uas-answer-echo-pcmu.xml');
    const controller = new AbortController();
    let answered = false;
    const placing = call(aborted.sipp, undefined, {
      signal: controller.signal,
      events: (e) => {
        if (e.type === 'answered') answered = true;
      },
    });
    // Aborted mid-call, once the call is up: not at whatever point a fixed sleep reached.
    await waitFor(() => answered, { what: 'the call answered' });
    expect(pool.leased).toBe(1);
    controller.abort();
    expect((await placing).record.endReason).toBe('aborted');
    expect(await aborted.sipp.waitForExit()).toBe(0);
    expect(pool.leased).toBe(0);

    const busy = await peer('uas-reject-486.xml');
    expect((await call(busy.sipp, undefined)).record.sipCode).toBe(486);
    expect(pool.leased).toBe(0);

    const crashed = await peer('uas-answer-echo-pcmu.xml');
    await expect(
      call(
        crashed.sipp,
        { hangupAfterMs: 5000 },
        {
          events: (e) => {
            if (e.type === 'answered') throw new Error('listener bug');
          },
        },
      ),
    ).rejects.toThrow('listener bug');
    // The callee was not left on an open line: sipp got its BYE.
    expect(await crashed.sipp.waitForExit()).toBe(0);
    expect(pool.leased).toBe(0);
    expect(pool.size).toBe(PAIRS);
  });
});
