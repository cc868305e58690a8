import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import wavefile from 'wavefile';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AttemptRecord } from '../../../src/jobs/call-outcome.js';
import { CampaignStore } from '../../../src/jobs/campaign-store.js';
import type { CallScript } from '../../../src/jobs/dial-job.js';
import { DialerClient } from '../../../src/jobs/dialer-client.js';
import { silentLogger } from '../../../src/log/create-logger.js';
import { resultRowFromOutcome } from '../../../src/results/result-row.js';
import { DialerWorker } from '../../../src/workers/dialer-worker.js';
import { toneWav } from '../../fixtures/media/make-wav.js';
import { concat, seededRandom, silence, speechLike, toPcm } from '../../helpers/call-audio.js';
import { freeUdpPort } from '../../helpers/free-port.js';
import { writeRtpPcap } from '../../helpers/rtp-pcap.js';
import { SIPP_FIXTURES, startSipp } from '../../helpers/sipp.js';
import { workerConfig } from '../../helpers/worker-config.js';

// wavefile is CommonJS: Node gives its exports only as the default import.
const { WaveFile } = wavefile;
const run = promisify(execFile);
const redisUrl = inject('redisUrl');
const PROMPT_MS = 2000;

/**
 * `script.record` over real RTP: sipp answers PCMA and plays a pcap of speech-like audio, the
 * worker records the call, and the WAV is read back with wavefile (not our own writer's code).
 */
describe('call recording', () => {
  let worker: DialerWorker | undefined;
  let client: DialerClient | undefined;
  let dir: string;
  let prompts: string;
  let pcap: string;
  let scenario: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'recording-'));
    prompts = join(dir, 'prompts');
    await mkdir(prompts);
    await writeFile(
      join(prompts, 'message.wav'),
      toneWav({ ms: PROMPT_MS, rate: 8000, channels: 1, bitDepth: '16' }),
    );
    // 4 s of speech-like bursts: longer than any call here, so the callee talks throughout.
    const random = seededRandom(7);
    const audio = concat(silence(100), speechLike(14, 220, 60, -18, random), silence(200));
    pcap = join(dir, 'callee.pcap');
    await writeRtpPcap(pcap, toPcm(audio), 'PCMA');
    const template = await readFile(join(SIPP_FIXTURES, 'uas-pcap-audio.xml'), 'utf8');
    scenario = join(dir, 'uas.xml');
    await writeFile(scenario, template.replaceAll('/usr/share/sip-tester/g711a.pcap', pcap));
  });

  afterEach(async () => {
    await worker?.close(500);
    await client?.close();
    worker = undefined;
    client = undefined;
  });

  afterAll(() => rm(dir, { recursive: true, force: true }));

  async function call(
    recordings: string,
    script: Record<string, unknown> | undefined,
    campaignScript?: Record<string, unknown>,
  ): Promise<{ answered: AttemptRecord; outcome: Awaited<ReturnType<DialerClient['waitForOutcome']>> }> {
    const sipp = await startSipp({ scenario, extraArgs: ['-mp', String(await freeUdpPort())] });
    const { config } = await workerConfig({ redisUrl, carrier: sipp.uri, media: { prompts, recordings } });
    worker = await DialerWorker.start({ config, logger: silentLogger() });
    client = new DialerClient({ redis: redisUrl, prefix: config.queuePrefix });
    let campaign: string | undefined;
    if (campaignScript !== undefined) {
      campaign = 'recorded';
      const store = new CampaignStore({ redis: client.redis, keys: client.keys });
      await store.create(campaign, { trunk: 'carrier', script: campaignScript as CallScript });
    }
    const job = await client.enqueueCall({
      number: '+5534984149880',
      maxAttempts: 1,
      ...(script !== undefined && { script }),
      ...(campaign !== undefined && { campaign }),
    });
    const outcome = await client.waitForOutcome(job.jobId, { timeoutMs: 20_000 });
    expect(await sipp.waitForExit()).toBe(0);
    const answered = outcome.attempts.find((a) => a.sipCode === 200)!;
    expect(answered).toBeDefined();
    return { answered, outcome };
  }

  it('both: a 2-channel WAV, the callee on channel 1 and our prompt on channel 2, as long as the call', async () => {
    const recordings = join(dir, 'both');
    await mkdir(recordings);
    const { answered, outcome } = await call(recordings, { play: 'message.wav', record: 'both' });
    expect(outcome.status).toBe('answered');
    expect(answered.endReason).toBe('script-done');
    const recording = answered.recording as { path: string; durationMs: number; channels: number };
    expect(recording).toMatchObject({ channels: 2 });
    expect(dirname(recording.path)).toBe(recordings);
    expect(recording.path).toMatch(/\/u~[0-9a-f-]{36}-1\.wav$/);

    const wav = await readWav(recording.path);
    expect(wav).toMatchObject({ channels: 2, rate: 8000, bits: 16 });
    const [callee, ours] = wav.samples as [Int16Array, Int16Array];
    expect(Math.round((callee.length * 1000) / 8000)).toBe(recording.durationMs);
    // The call lasted the prompt and a little more (signalling); never less than the prompt.
    expect(recording.durationMs).toBeGreaterThanOrEqual(PROMPT_MS);
    expect(recording.durationMs).toBeLessThanOrEqual(answered.talkMs! + 100);
    // Our channel holds the whole prompt: 2 s of the 440 Hz tone, the rest encoded silence.
    expect(loudMs(ours)).toBeGreaterThanOrEqual(PROMPT_MS - 40);
    expect(loudMs(ours)).toBeLessThanOrEqual(PROMPT_MS + 40);
    // The callee's channel holds the callee's speech, not our tone.
    expect(loudMs(callee)).toBeGreaterThan(500);
    expect(toneShare(ours, 440)).toBeGreaterThan(0.9);
    expect(toneShare(callee, 440)).toBeLessThan(0.1);

    expect(resultRowFromOutcome(outcome)).toMatchObject({
      recordingPath: recording.path,
      recordingMs: recording.durationMs,
    });
  });

  it('callee: one channel with the callee audio; the worker deletes recordings past media.recordingsRetention', async () => {
    const recordings = join(dir, 'callee');
    await mkdir(recordings);
    // Older than the 90-day default: the worker's sweep at start removes it.
    const old = join(recordings, 'u~old-1.wav');
    await writeFile(old, 'RIFF');
    const longAgo = (Date.now() - 91 * 86_400_000) / 1000;
    await utimes(old, longAgo, longAgo);
    const { answered } = await call(recordings, { record: 'callee', hangupAfterMs: 1500 });
    for (let i = 0; i < 200 && existsSync(old); i++) await new Promise((r) => setTimeout(r, 50));
    expect(existsSync(old)).toBe(false);
    expect(await readdir(recordings)).toStrictEqual([basename(answered.recording!.path)]);
    expect(answered.endReason).toBe('hangup-after');
    const recording = answered.recording as { path: string; durationMs: number; channels: number };
    expect(recording.channels).toBe(1);
    const wav = await readWav(recording.path);
    expect(wav.channels).toBe(1);
    expect(Math.round((wav.samples[0]!.length * 1000) / 8000)).toBe(recording.durationMs);
    expect(loudMs(wav.samples[0]!)).toBeGreaterThan(500);
  });

  it("a campaign's script records its calls; a job's own script fields win one by one", async () => {
    const recordings = join(dir, 'campaign');
    await mkdir(recordings);
    const { answered } = await call(
      recordings,
      { hangupAfterMs: 1000 },
      { record: 'callee', hangupAfterMs: 20_000 },
    );
    // The job's hangupAfterMs ended the call; the campaign's record made the file.
    expect(answered.endReason).toBe('hangup-after');
    expect(answered.recording).toMatchObject({ channels: 1 });
    expect(answered.recording!.path).toMatch(/\/recorded~\+5534984149880-1\.wav$/);
  });

  it('a missing recordings directory fails the recording, not the call', async () => {
    const recordings = join(dir, 'missing');
    const { answered, outcome } = await call(recordings, { play: 'message.wav', record: 'both' });
    expect(outcome.status).toBe('answered');
    expect(answered.endReason).toBe('script-done');
    expect(answered.media).toMatchObject({ promptsPlayed: 1 });
    expect(answered.recording).toMatchObject({ error: expect.stringMatching(/^ENOENT/) });
    expect(existsSync(recordings)).toBe(false);
    expect(resultRowFromOutcome(outcome).recordingPath).toBeUndefined();
  });

  it('a full disk fails the recording, not the call, and leaves no partial file', async (ctx) => {
    const recordings = join(dir, 'full');
    await mkdir(recordings);
    // 16 KiB holds half a second of 2-channel audio; the call records the 2 s prompt and more.
    const mounted = await run('mount', ['-t', 'tmpfs', '-o', 'size=16k', 'tmpfs', recordings]).then(
      () => true,
      (error: unknown) => error,
    );
    if (mounted !== true) {
      ctx.skip(`no tmpfs to fill (mount refused: ${String(mounted)})`);
      return;
    }
    try {
      const { answered, outcome } = await call(recordings, { play: 'message.wav', record: 'both' });
      expect(outcome.status).toBe('answered');
      expect(answered.endReason).toBe('script-done');
      expect(answered.media).toMatchObject({ promptsPlayed: 1 });
      expect(answered.recording).toMatchObject({ error: expect.stringMatching(/^ENOSPC/) });
      expect(await readdir(recordings)).toEqual([]);
    } finally {
      // Lazy: a worker still holding the file (a failed assertion above) must not keep the mount.
      await run('umount', ['-l', recordings]);
    }
  });
});

async function readWav(
  path: string,
): Promise<{ channels: number; rate: number; bits: number; samples: Int16Array[] }> {
  const wav = new WaveFile(await readFile(path));
  const fmt = wav.fmt as { numChannels: number; sampleRate: number; bitsPerSample: number };
  // wavefile types getSamples loosely: one array for mono, one per channel otherwise.
  const raw = wav.getSamples(false, Int16Array) as unknown as Int16Array | Int16Array[];
  return {
    channels: fmt.numChannels,
    rate: fmt.sampleRate,
    bits: fmt.bitsPerSample,
    samples: Array.isArray(raw) ? raw : [raw],
  };
}

/** Ms of 20 ms frames louder than -40 dBFS (G.711 silence decodes to ±8, about -72 dBFS). */
function loudMs(samples: Int16Array): number {
  let loud = 0;
  for (let i = 0; i + 160 <= samples.length; i += 160) {
    let sum = 0;
    for (let j = i; j < i + 160; j++) sum += samples[j]! * samples[j]!;
    if (Math.sqrt(sum / 160) > 32768 * 0.01) loud++;
  }
  return loud * 20;
}

/** The share of the signal's energy at `hz` (Goertzel over the whole channel): 1 for a pure tone. */
function toneShare(samples: Int16Array, hz: number): number {
  const w = (2 * Math.PI * hz) / 8000;
  const coeff = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  let energy = 0;
  for (const x of samples) {
    const s0 = x + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
    energy += x * x;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return energy === 0 ? 0 : (2 * power) / (samples.length * energy);
}
