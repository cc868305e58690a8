import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { CampaignStore } from '../../../src/jobs/campaign-store.js';
import { DialerClient } from '../../../src/jobs/dialer-client.js';
import { silentLogger } from '../../../src/log/create-logger.js';
import { DialerWorker } from '../../../src/workers/dialer-worker.js';
import { concat, seededRandom, silence, sit, speechLike, tone, toPcm } from '../../helpers/call-audio.js';
import { toneWav } from '../../fixtures/media/make-wav.js';
import { freeUdpPort } from '../../helpers/free-port.js';
import { writeRtpPcap } from '../../helpers/rtp-pcap.js';
import { SIPP_FIXTURES, startSipp, type SippPeer } from '../../helpers/sipp.js';
import { workerConfig } from '../../helpers/worker-config.js';

const redisUrl = inject('redisUrl');

/**
 * The callee's side of answering-machine detection over real RTP: sipp answers PCMA and plays a
 * pcap made here from test/helpers/call-audio.ts, the worker decodes it and decides.
 */
describe('answering-machine detection on an answered call', () => {
  let worker: DialerWorker | undefined;
  let client: DialerClient | undefined;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'amd-wire-'));
  });

  afterEach(async () => {
    await worker?.close(500);
    await client?.close();
    worker = undefined;
    client = undefined;
  });

  afterAll(() => rm(dir, { recursive: true, force: true }));

  /**
   * A UAS that answers, plays `audio` as RTP, and waits for our BYE; or, with `byeAfterMs`, sends
   * its own BYE that long after the ACK.
   */
  async function setUp(
    name: string,
    audio: Float64Array,
    withPrompt = false,
    byeAfterMs?: number,
  ): Promise<{ producer: DialerClient; sipp: SippPeer }> {
    const pcap = join(dir, `${name}.pcap`);
    await writeRtpPcap(pcap, toPcm(audio), 'PCMA');
    let template = await readFile(join(SIPP_FIXTURES, 'uas-pcap-audio.xml'), 'utf8');
    if (byeAfterMs !== undefined) template = calleeHangsUp(template, byeAfterMs);
    const scenario = join(dir, `${name}.xml`);
    await writeFile(scenario, template.replaceAll('/usr/share/sip-tester/g711a.pcap', pcap));
    const sipp = await startSipp({ scenario, extraArgs: ['-mp', String(await freeUdpPort())] });
    return startWorker(sipp, withPrompt);
  }

  /** A UAS that answers and sends no RTP at all, then waits for our BYE. */
  async function setUpSilentPeer(withPrompt: boolean): Promise<{ producer: DialerClient; sipp: SippPeer }> {
    const sipp = await startSipp({
      scenario: join(SIPP_FIXTURES, 'uas-answer.xml'),
      extraArgs: ['-mp', String(await freeUdpPort())],
    });
    return startWorker(sipp, withPrompt);
  }

  async function startWorker(
    sipp: SippPeer,
    withPrompt: boolean,
  ): Promise<{ producer: DialerClient; sipp: SippPeer }> {
    const media: Record<string, string> = {};
    if (withPrompt) {
      await writeFile(
        join(dir, 'message.wav'),
        toneWav({ ms: 1000, rate: 8000, channels: 1, bitDepth: '16' }),
      );
      media['prompts'] = dir;
    }
    const { config } = await workerConfig({ redisUrl, carrier: sipp.uri, media });
    worker = await DialerWorker.start({ config, logger: silentLogger() });
    client = new DialerClient({ redis: redisUrl, prefix: config.queuePrefix });
    return { producer: client, sipp };
  }

  it('a short hello then silence is a person: answered, amd human', async () => {
    const random = seededRandom(1);
    const { producer, sipp } = await setUp(
      'human',
      concat(silence(400), speechLike(2, 200, 30, -20, random), silence(5000)),
    );
    const call = await producer.enqueueCall({
      number: '+5534984149880',
      amd: true,
      script: { hangupAfterMs: 4000 },
    });
    const outcome = await producer.waitForOutcome(call.jobId, { timeoutMs: 20_000 });
    expect(outcome.status).toBe('answered');
    const answered = outcome.attempts.find((a) => a.sipCode === 200)!;
    expect(answered.amd).toMatchObject({ result: 'human', reason: 'human-silence-after-greeting', words: 1 });
    expect(answered.amd!.decisionMs).toBeGreaterThan(0);
    expect(answered.amd!.beepAtMs).toBeUndefined();
    expect(answered.sit).toBeUndefined();
    expect(await sipp.waitForExit()).toBe(0);
  });

  it('a peer that sends no RTP: amd gives up with unknown (no-audio) and the script still runs', async () => {
    const { producer, sipp } = await setUpSilentPeer(true);
    const call = await producer.enqueueCall({
      number: '+5534984149880',
      amd: { totalAnalysisMs: 1000 },
      maxAttempts: 1,
      // Far beyond the deadline: only the decision can start the prompt before this ends the call.
      script: { play: 'message.wav', hangupAfterMs: 20_000 },
    });
    const outcome = await producer.waitForOutcome(call.jobId, { timeoutMs: 30_000 });
    expect(outcome.status).toBe('answered');
    expect(outcome.amd).toMatchObject({ result: 'unknown', reason: 'no-audio' });
    const answered = outcome.attempts.find((a) => a.sipCode === 200)!;
    expect(answered).toMatchObject({ hangupBy: 'local', endReason: 'script-done' });
    expect(answered.noPerson).toBeUndefined();
    expect(answered.media).toMatchObject({ promptsPlayed: 1 });
    expect(await sipp.waitForExit()).toBe(0);
  });

  it('a peer that sends no RTP with onUnknown hangup: we hang up, outcome machine (no person)', async () => {
    const { producer, sipp } = await setUpSilentPeer(false);
    const call = await producer.enqueueCall({
      number: '+5534984149880',
      amd: { totalAnalysisMs: 1000 },
      maxAttempts: 1,
      script: { onUnknown: 'hangup', hangupAfterMs: 20_000 },
    });
    const outcome = await producer.waitForOutcome(call.jobId, { timeoutMs: 30_000 });
    expect(outcome.status).toBe('machine');
    expect(outcome.amd).toMatchObject({ result: 'unknown', reason: 'no-audio' });
    const answered = outcome.attempts.find((a) => a.sipCode === 200)!;
    expect(answered).toMatchObject({ hangupBy: 'local', endReason: 'amd-unknown', noPerson: true });
    expect(await sipp.waitForExit()).toBe(0);
  });

  it('without amd nothing is decided, whatever the callee plays', async () => {
    const random = seededRandom(1);
    const { producer, sipp } = await setUp(
      'off',
      concat(silence(400), speechLike(2, 200, 30, -20, random), silence(3000)),
    );
    const call = await producer.enqueueCall({ number: '+5534984149880', script: { hangupAfterMs: 2000 } });
    const outcome = await producer.waitForOutcome(call.jobId, { timeoutMs: 20_000 });
    const answered = outcome.attempts.find((a) => a.sipCode === 200)!;
    expect(answered.media!.packetsReceived).toBeGreaterThan(0);
    expect(answered.amd).toBeUndefined();
    expect(await sipp.waitForExit()).toBe(0);
  });

  const greetingThenBeep = (): Float64Array =>
    concat(
      silence(300),
      speechLike(12, 220, 0, -20, seededRandom(2)),
      silence(400),
      tone([1000], 400, -18),
      silence(4000),
    );

  it('a machine with onMachine hangup (the default): outcome machine, and we send the BYE at the decision', async () => {
    const { producer, sipp } = await setUp('machine', greetingThenBeep());
    const call = await producer.enqueueCall({
      number: '+5534984149880',
      amd: true,
      maxAttempts: 1,
      script: { hangupAfterMs: 6000 },
    });
    const outcome = await producer.waitForOutcome(call.jobId, { timeoutMs: 20_000 });
    expect(outcome.status).toBe('machine');
    expect(outcome.amd).toMatchObject({ result: 'machine' });
    const answered = outcome.attempts.find((a) => a.sipCode === 200)!;
    expect(answered).toMatchObject({
      hangupBy: 'local',
      endReason: 'machine',
      noPerson: true,
      pointsTo: 'machine',
    });
    expect(answered.amd).toMatchObject({ result: 'machine', reason: 'long-greeting' });
    // Hung up at the decision, before the beep came.
    expect(answered.amd!.beepAtMs).toBeUndefined();
    expect(await sipp.waitForExit()).toBe(0);
  });

  it("a job without amd of its own takes its campaign's", async () => {
    const { producer, sipp } = await setUp('campaign', greetingThenBeep());
    const store = new CampaignStore({ redis: producer.redis, keys: producer.keys });
    await store.create('amd-campaign', { trunk: 'carrier', amd: { greetingMs: 1500 } });
    const call = await producer.enqueueCall({
      number: '+5534984149880',
      campaign: 'amd-campaign',
      maxAttempts: 1,
      script: { hangupAfterMs: 6000 },
    });
    const outcome = await producer.waitForOutcome(call.jobId, { timeoutMs: 20_000 });
    expect(outcome.status).toBe('machine');
    expect(outcome.attempts[0]!.amd).toMatchObject({ result: 'machine' });
    expect(await sipp.waitForExit()).toBe(0);
  });

  it('a machine with onMachine leaveMessage: the prompt plays after the beep, outcome voicemail-left', async () => {
    const { producer, sipp } = await setUp('voicemail', greetingThenBeep(), true);
    const call = await producer.enqueueCall({
      number: '+5534984149880',
      amd: true,
      script: { play: 'message.wav', onMachine: 'leaveMessage', hangupAfterMs: 15_000 },
    });
    const outcome = await producer.waitForOutcome(call.jobId, { timeoutMs: 25_000 });
    expect(outcome.status).toBe('voicemail-left');
    const answered = outcome.attempts.find((a) => a.sipCode === 200)!;
    expect(answered).toMatchObject({ hangupBy: 'local', endReason: 'voicemail-left' });
    expect(answered.amd).toMatchObject({ result: 'machine' });
    expect(answered.amd!.beepAtMs).toBeGreaterThan(300 + 12 * 220 * 0.8);
    expect(answered.media).toMatchObject({ promptsPlayed: 1 });
    // The 1 s message went out as RTP (50 packets of 20 ms) on top of the silence before it.
    expect(answered.media!.packetsSent).toBeGreaterThanOrEqual(50);
    expect(await sipp.waitForExit()).toBe(0);
  });

  it('a machine that hangs up while we wait for its beep is still a machine', async () => {
    // A greeting with no beep, and the callee's BYE long before the beep window ends.
    const { producer, sipp } = await setUp(
      'machine-bye',
      concat(silence(300), speechLike(12, 220, 0, -20, seededRandom(2)), silence(8000)),
      true,
      5000,
    );
    const call = await producer.enqueueCall({
      number: '+5534984149880',
      amd: true,
      maxAttempts: 1,
      script: { play: 'message.wav', onMachine: 'leaveMessage', hangupAfterMs: 20_000 },
    });
    const outcome = await producer.waitForOutcome(call.jobId, { timeoutMs: 30_000 });
    expect(outcome.status).toBe('machine');
    const answered = outcome.attempts.find((a) => a.sipCode === 200)!;
    expect(answered).toMatchObject({ hangupBy: 'remote', noPerson: true });
    expect(answered.amd).toMatchObject({ result: 'machine' });
    expect(answered.media).toMatchObject({ promptsPlayed: 0 });
    expect(await sipp.waitForExit()).toBe(0);
  });

  it('a vacant-number SIT after the answer: invalid-number, no retry', async () => {
    const { producer, sipp } = await setUp('sit', concat(silence(300), sit('VC'), silence(3000)));
    const call = await producer.enqueueCall({
      number: '+5534984149880',
      amd: true,
      maxAttempts: 3,
      script: { hangupAfterMs: 5000 },
    });
    const outcome = await producer.waitForOutcome(call.jobId, { timeoutMs: 20_000 });
    expect(outcome.status).toBe('invalid-number');
    expect(outcome.attempts).toHaveLength(1);
    expect(outcome.attempts[0]).toMatchObject({ endReason: 'sit', sit: { class: 'vacant', code: 'VC' } });
    expect(await sipp.waitForExit()).toBe(0);
  });

  it('a SIT after a person was heard does not hang up on them: answered, the SIT kept as information', async () => {
    const { producer, sipp } = await setUp(
      'human-then-sit',
      concat(
        silence(400),
        speechLike(2, 200, 30, -20, seededRandom(1)),
        silence(1500),
        sit('VC'),
        silence(4000),
      ),
    );
    const call = await producer.enqueueCall({
      number: '+5534984149880',
      amd: true,
      maxAttempts: 3,
      script: { hangupAfterMs: 5000 },
    });
    const outcome = await producer.waitForOutcome(call.jobId, { timeoutMs: 20_000 });
    expect(outcome.status).toBe('answered');
    expect(outcome.attempts).toHaveLength(1);
    const answered = outcome.attempts[0]!;
    expect(answered).toMatchObject({ endReason: 'hangup-after', sit: { class: 'vacant' } });
    expect(answered.amd).toMatchObject({ result: 'human' });
    expect(answered.noPerson).toBeUndefined();
    expect(await sipp.waitForExit()).toBe(0);
  });
});

/** The pcap scenario with the callee's own BYE `afterMs` after the ACK in place of waiting for ours. */
function calleeHangsUp(template: string, afterMs: number): string {
  const withParties = template.replace(
    '<recv request="INVITE" />',
    `<recv request="INVITE" rrs="true">
    <action>
      <ereg regexp="[^ ].*" search_in="hdr" header="From:" assign_to="remote_party" />
      <ereg regexp="[^ ].*" search_in="hdr" header="To:" assign_to="local_party" />
    </action>
  </recv>`,
  );
  const at = withParties.indexOf('<recv request="BYE" />');
  return `${withParties.slice(0, at)}<pause milliseconds="${afterMs}" />

  <send retrans="500">
    <![CDATA[
      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: [$local_party];tag=[pid]SIPpTag01[call_number]
      To: [$remote_party]
      Call-ID: [call_id]
      CSeq: 1 BYE
      Contact: <sip:sipp@[local_ip]:[local_port];transport=[transport]>
      Max-Forwards: 70
      Content-Length: [len]

    ]]>
  </send>

  <recv response="200" />
</scenario>
`;
}
