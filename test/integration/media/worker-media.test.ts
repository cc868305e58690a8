import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, inject, it, afterAll } from 'vitest';
import { DialerClient } from '../../../src/jobs/dialer-client.js';
import { silentLogger } from '../../../src/log/create-logger.js';
import { DialerWorker } from '../../../src/workers/dialer-worker.js';
import { freeUdpPort } from '../../helpers/free-port.js';
import { startSipp, type SippPeer } from '../../helpers/sipp.js';
import { workerConfig } from '../../helpers/worker-config.js';
import { toneWav } from '../../fixtures/media/make-wav.js';

const redisUrl = inject('redisUrl');

describe('a worker process plays, collects and reports media', () => {
  let worker: DialerWorker | undefined;
  let client: DialerClient | undefined;
  let promptsDir: string;

  beforeAll(async () => {
    promptsDir = await mkdtemp(join(tmpdir(), 'worker-prompts-'));
    await writeFile(
      join(promptsDir, 'menu.wav'),
      toneWav({ ms: 3000, rate: 48000, channels: 1, bitDepth: '24' }),
    );
  });

  afterEach(async () => {
    await worker?.close(500);
    await client?.close();
    worker = undefined;
    client = undefined;
  });

  afterAll(() => rm(promptsDir, { recursive: true, force: true }));

  async function setUp(
    scenario: string,
    media: Record<string, string>,
  ): Promise<{ producer: DialerClient; sipp: SippPeer }> {
    const sipp = await startSipp({ scenario, extraArgs: ['-mp', String(await freeUdpPort())] });
    // The worker hands the config's media settings down to its calls.
    const { config } = await workerConfig({ redisUrl, carrier: sipp.uri, media });
    worker = await DialerWorker.start({ config, logger: silentLogger() });
    client = new DialerClient({ redis: redisUrl, prefix: config.queuePrefix });
    return { producer: client, sipp };
  }

  it('a digit during the prompt stops it (barge-in); the outcome has the digits and the RTP figures', async () => {
    const { producer, sipp } = await setUp('uas-pcap-dtmf.xml', { prompts: promptsDir });
    const call = await producer.enqueueCall({
      number: '+5534984149880',
      script: { play: 'menu.wav', collect: { maxDigits: 4, timeoutMs: 3000, terminator: '#' } },
    });
    const outcome = await producer.waitForOutcome(call.jobId, { timeoutMs: 15_000 });
    expect(outcome.status).toBe('answered');
    const answered = outcome.attempts.find((a) => a.sipCode === 200)!;
    expect(answered).toMatchObject({ digits: '12', endReason: 'script-done', hangupBy: 'local' });
    expect(answered.media).toMatchObject({
      codec: 'PCMA',
      promptsPlayed: 0,
      collectEnd: 'terminator',
      dtmfReceived: 3,
    });
    // The 3 s prompt was cut by the first digit, so the call was shorter than the prompt.
    expect(answered.media!.packetsSent).toBeLessThan(150);
    expect(answered.media!.packetsSent).toBeGreaterThan(0);
    expect(await sipp.waitForExit()).toBe(0);
  });

  it('no RTP from the far end for the dead-call time ends the call, and the outcome says so', async () => {
    const { producer, sipp } = await setUp('uas-answer.xml', { deadCallTimeout: '700ms' });
    const call = await producer.enqueueCall({ number: '+5534984149880' });
    const outcome = await producer.waitForOutcome(call.jobId, { timeoutMs: 15_000 });
    const answered = outcome.attempts.find((a) => a.sipCode === 200)!;
    expect(answered).toMatchObject({
      endReason: 'rtp-timeout',
      reason: 'answered; ended by local (rtp-timeout)',
    });
    expect(answered.media!.packetsReceived).toBe(0);
    expect(await sipp.waitForExit()).toBe(0);
  });
});
