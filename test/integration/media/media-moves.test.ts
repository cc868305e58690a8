import { createSocket, type Socket } from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallScript } from '../../../src/jobs/dial-job.js';
import { silentLogger } from '../../../src/log/index.js';
import {
  isSrtpDrop,
  MediaScheduler,
  writeRtpHeader,
  parseSdesCrypto,
  PromptCache,
  SrtpContext,
  type Prompt,
  type RtpPortPool,
} from '../../../src/media/index.js';
import type { SrtpMode } from '../../../src/config/index.js';
import { EmbeddedSipEngine } from '../../../src/sip/embedded/embedded-engine.js';
import type { SipEngine } from '../../../src/sip/engine.js';
import { newAttemptRecord, placeAttempt, type PlacedAttempt } from '../../../src/workers/place-attempt.js';
import { noiseWav } from '../../fixtures/media/make-wav.js';
import { startSipp, type SippPeer, type WireMessage } from '../../helpers/sipp.js';
import { drachtioEngine } from '../sip/engines-under-test.js';
import { openTestPool } from './open-test-pool.js';

/**
 * A far end that moves its media (RFC 3311 UPDATE before the answer, RFC 3261 §14 re-INVITE after
 * it) and one that offers what we cannot take or offers in glare: sipp drives the signalling and
 * checks our answers (200 with SDP, 488, 491); two UDP sockets of the test stand where its SDP
 * says media goes, and count what RTP reaches each, in arrival order.
 */

let engine: EmbeddedSipEngine;
let pool: RtpPortPool;
let promptsDir: string;

beforeAll(async () => {
  engine = new EmbeddedSipEngine({ listen: { host: '127.0.0.1', port: 0 } });
  await engine.start();
  pool = await openTestPool(1);
  promptsDir = await mkdtemp(join(tmpdir(), 'moves-prompts-'));
  await writeFile(join(promptsDir, 'noise.wav'), noiseWav({ ms: 2000 }));
});

afterAll(async () => {
  await engine?.close();
  await pool?.close();
  if (promptsDir) await rm(promptsDir, { recursive: true, force: true });
});

/** RTP reaching one address: payload types in arrival order, numbered on a clock shared by both. */
interface MediaSink {
  readonly port: number;
  readonly arrivals: Array<{
    order: number;
    payloadType: number;
    from: string;
    seq: number;
    timestamp: number;
    marker: boolean;
    packet: Buffer;
  }>;
  /** Where the first packet came from (our RTP socket). */
  readonly first: Promise<{ address: string; port: number }>;
  /** Sends from the sink's own socket, as the far end's media would come. */
  send(packet: Buffer, to: { address: string; port: number }): void;
  close(): void;
}

let arrivalClock = 0;

async function sink(): Promise<MediaSink> {
  const socket: Socket = createSocket('udp4');
  const arrivals: MediaSink['arrivals'] = [];
  let firstFrom: (from: { address: string; port: number }) => void = () => undefined;
  const first = new Promise<{ address: string; port: number }>((resolve) => (firstFrom = resolve));
  socket.on('message', (packet, rinfo) => {
    if (packet.length < 12) return;
    firstFrom({ address: rinfo.address, port: rinfo.port });
    arrivals.push({
      order: arrivalClock++,
      payloadType: packet[1]! & 0x7f,
      from: `${rinfo.address}:${rinfo.port}`,
      seq: packet.readUInt16BE(2),
      timestamp: packet.readUInt32BE(4),
      marker: (packet[1]! & 0x80) !== 0,
      packet,
    });
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    port: (socket.address() as AddressInfo).port,
    arrivals,
    first,
    send: (packet, to) => socket.send(packet, to.port, to.address),
    close: () => socket.close(),
  };
}

async function moving(scenario: string): Promise<{ sipp: SippPeer; a: MediaSink; b: MediaSink }> {
  const [a, b] = await Promise.all([sink(), sink()]);
  const sipp = await startSipp({ scenario, vars: { porta: String(a.port), portb: String(b.port) } });
  return { sipp, a, b };
}

function call(
  sipp: SippPeer,
  script?: CallScript,
  on: { engine: SipEngine; transport?: 'tcp'; srtp?: SrtpMode } = { engine },
): Promise<PlacedAttempt> {
  const uri = 'sip:5534984149880@carrier.test';
  return placeAttempt(
    {
      engine: on.engine,
      ports: pool,
      trunk: {
        name: 'carrier',
        proxy: sipp.uri,
        domain: 'carrier.test',
        ...(on.transport ? { transport: on.transport } : {}),
        ...(on.srtp ? { media: { srtp: on.srtp } } : {}),
      },
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
      ringTimeoutMs: 10_000,
      maxCallLengthMs: 30_000,
      workerId: 'moves-test',
      logger: silentLogger(),
      signal: new AbortController().signal,
      jobId: 'moves-test',
      media: {
        settings: {
          promptsDir,
          recordingsDir: '/nonexistent',
          deadCallMs: 20_000,
          rtcpIntervalMs: 1000,
        },
        scheduler: MediaScheduler.shared(),
        prompts: new PromptCache({ directory: promptsDir }),
      },
    },
    newAttemptRecord({ attempt: 1, uri, dialFormat: 'e164-digits', workerId: 'moves-test' }),
  );
}

/** What sipp received (we sent) answering `method` with `status`. */
function answersTo(wire: readonly WireMessage[], method: string): WireMessage[] {
  return wire.filter(
    (m) =>
      m.direction === 'received' &&
      m.status !== undefined &&
      new RegExp(`\\d+ ${method}$`).test(m.headers['cseq'] ?? ''),
  );
}

/** Where an RTP packet's 20 ms payload lies in the prompt encoded in `codec`, -1 if nowhere. */
function frameOffset(prompt: Prompt, codec: 'PCMU' | 'PCMA', packet: Buffer): number {
  const bytes = prompt.encoded(codec);
  const payload = packet.subarray(12);
  for (let at = 0; at + payload.length <= bytes.length; at += 160) {
    if (Buffer.from(bytes.subarray(at, at + payload.length)).equals(payload)) return at;
  }
  return -1;
}

/** The far end's SRTP stream under the key of its crypto line `line`: each call, the next packet. */
function farEndSrtp(line: string, ssrc: number): () => Buffer {
  const context = new SrtpContext(parseSdesCrypto(line).key);
  let seq = 100;
  return () => {
    const packet = Buffer.alloc(12 + 160, 0xff);
    writeRtpHeader(packet, {
      payloadType: 0,
      sequenceNumber: seq,
      timestamp: seq * 160,
      ssrc,
      marker: false,
    });
    seq++;
    return context.protectRtp(packet);
  };
}

/** Packets that reached `a` after the first one reached `b`: the move is not undone. */
function lateAt(a: MediaSink, b: MediaSink): number {
  const first = b.arrivals[0]?.order ?? Infinity;
  return a.arrivals.filter((p) => p.order > first).length;
}

/** re-INVITE to a new port: 200 with our answer (our codec kept, their telephone-event type), RTP goes there; a G.729-only re-INVITE gets 488 and the call goes on. */
async function reinviteToNewPort(using: SipEngine): Promise<void> {
  const { sipp, a, b } = await moving('uas-reinvite-move.xml');
  try {
    const { record } = await call(sipp, undefined, { engine: using });
    expect(await sipp.waitForExit(), await sipp.errors()).toBe(0);
    expect(record).toMatchObject({ hangupBy: 'remote', endReason: 'bye' });
    const wire = await sipp.messages();
    const reinvites = answersTo(wire, 'INVITE').filter((m) => m.status !== 100);
    expect(reinvites.map((m) => m.status)).toEqual([200, 488]);
    const answer = reinvites[0]!.body;
    expect(answer).toMatch(/^m=audio \d+ RTP\/AVP 0 96\r?$/m);
    expect(answer).toMatch(/^a=rtpmap:96 telephone-event\/8000\r?$/m);
    // Our SDP changed (one codec now): its o= version went up by one (RFC 3264 §8).
    expect(answer).toMatch(/^o=- \d+ 1 /m);
    expect(a.arrivals.length).toBeGreaterThan(0);
    expect(b.arrivals.length).toBeGreaterThan(0);
    expect(lateAt(a, b)).toBeLessThanOrEqual(2);
    expect(new Set([...a.arrivals, ...b.arrivals].map((p) => p.payloadType))).toEqual(new Set([0]));
    // Everything we sent reached a or b (nothing went to the refused 127.0.0.2), the last at b.
    const media = record.media!;
    expect(media.remote).toBe(`127.0.0.1:${b.port}`);
    expect(a.arrivals.length + b.arrivals.length).toBeGreaterThanOrEqual(media.packetsSent - 3);
  } finally {
    a.close();
    b.close();
  }
}

/** codec switch: a PCMA-only re-INVITE (telephone-event 97) is answered 200 with PCMA, and the prompt goes on there in A-law from where it was. */
async function reinviteCodecSwitch(using: SipEngine): Promise<void> {
  const { sipp, a, b } = await moving('uas-reinvite-codec.xml');
  try {
    const { record } = await call(sipp, { play: 'noise.wav', repeat: 5 }, { engine: using });
    expect(await sipp.waitForExit(), await sipp.errors()).toBe(0);
    expect(record).toMatchObject({ hangupBy: 'remote', endReason: 'bye' });
    const reinvites = answersTo(await sipp.messages(), 'INVITE').filter((m) => m.status !== 100);
    expect(reinvites.map((m) => m.status)).toEqual([200]);
    expect(reinvites[0]!.body).toMatch(/^m=audio \d+ RTP\/AVP 8 97\r?$/m);
    expect(a.arrivals.length).toBeGreaterThan(0);
    expect(b.arrivals.length).toBeGreaterThan(0);
    expect(new Set(a.arrivals.map((p) => p.payloadType))).toEqual(new Set([0]));
    expect(new Set(b.arrivals.map((p) => p.payloadType))).toEqual(new Set([8]));
    expect(record.media).toMatchObject({ codec: 'PCMA', remote: `127.0.0.1:${b.port}` });
    // Each packet is a 20 ms frame of the prompt, in the codec of its side of the move; the
    // first at b follows the last at a (by sequence number), so the prompt went on, not over.
    const prompt = await new PromptCache({ directory: promptsDir }).load('noise.wav');
    const first = b.arrivals[0]!;
    const before = a.arrivals.find((p) => ((first.seq - p.seq) & 0xffff) === 1)!;
    expect(before).toBeDefined();
    const at = frameOffset(prompt, 'PCMU', before.packet);
    expect(at).toBeGreaterThanOrEqual(0);
    expect(frameOffset(prompt, 'PCMA', first.packet)).toBe((at + 160) % prompt.encoded('PCMA').length);
    for (const p of b.arrivals) expect(frameOffset(prompt, 'PCMA', p.packet)).toBeGreaterThanOrEqual(0);
  } finally {
    a.close();
    b.close();
  }
}

/** SRTP: a re-INVITE with a=crypto is answered with our line of its tag and suite, and our RTP there is SRTP under that key; theirs under their new key is taken, under the old one dropped and counted; one without crypto gets 488. */
async function srtpReinvite(using: SipEngine): Promise<void> {
  const { sipp, a, b } = await moving('uas-srtp-reinvite.xml');
  // Once our RTP reaches b (the re-INVITE's answer taken), the far end sends under its new tag-3 key, and its old one.
  const k1 = farEndSrtp('1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR', 0x1111);
  const k3 = farEndSrtp('3 AES_CM_128_HMAC_SHA1_32 inline:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVpbXF1e', 0x3333);
  void b.first.then((us) => {
    for (let i = 0; i < 5; i++) {
      b.send(k3(), us);
      b.send(k1(), us);
    }
  });
  try {
    const { record } = await call(sipp, undefined, { engine: using, srtp: 'required' });
    expect(await sipp.waitForExit(), await sipp.errors()).toBe(0);
    expect(record).toMatchObject({ hangupBy: 'remote', endReason: 'bye' });
    const wire = await sipp.messages();
    const offer = wire.find((m) => m.direction === 'received' && m.method === 'INVITE')!.body;
    const reinvites = answersTo(wire, 'INVITE').filter((m) => m.status !== 100);
    expect(reinvites.map((m) => m.status)).toEqual([200, 488]);
    const answer = reinvites[0]!.body;
    expect(answer).toMatch(/^m=audio \d+ RTP\/SAVP 0\r?$/m);
    const ours = (body: string, tag: number): SrtpContext =>
      new SrtpContext(parseSdesCrypto(new RegExp(`^a=crypto:(${tag} .*?)\\r?$`, 'm').exec(body)![1]!).key);
    const decrypts = (sink: MediaSink, context: SrtpContext): number =>
      sink.arrivals.filter((p) => !isSrtpDrop(context.unprotectRtp(p.packet))).length;
    // Before the move: SRTP under our offered tag-1 key; after it, under the key of our tag-3 answer.
    expect(a.arrivals.length).toBeGreaterThan(0);
    expect(decrypts(a, ours(offer, 1))).toBe(a.arrivals.length);
    expect(b.arrivals.length).toBeGreaterThan(0);
    expect(decrypts(b, ours(answer, 3))).toBe(b.arrivals.length);
    expect(record.media).toMatchObject({
      packetsReceived: 5,
      srtp: { suite: 'AES_CM_128_HMAC_SHA1_32', authFailures: 5, replayed: 0 },
    });
  } finally {
    a.close();
    b.close();
  }
}

describe('media that moves in the dialog, against sipp', () => {
  it('re-INVITE to a new port: 200 with our answer (our codec kept, their telephone-event type), RTP goes there; a G.729-only re-INVITE gets 488 and the call goes on', () =>
    reinviteToNewPort(engine));

  it('codec switch: a PCMA-only re-INVITE (telephone-event 97) is answered 200 with PCMA, and the prompt goes on there in A-law from where it was', () =>
    reinviteCodecSwitch(engine));

  it('glare: an UPDATE offer while our offer (in the 200 to an offerless re-INVITE) awaits its ACK gets 491; the ACK answer moves RTP; a lower CSeq gets 500', async () => {
    const { sipp, a, b } = await moving('uas-reinvite-glare.xml');
    try {
      const { record } = await call(sipp);
      expect(await sipp.waitForExit(), await sipp.errors()).toBe(0);
      expect(record).toMatchObject({ hangupBy: 'remote', endReason: 'bye' });
      const wire = await sipp.messages();
      expect(answersTo(wire, 'UPDATE').map((m) => m.status)).toEqual([491, 500]);
      const offer = answersTo(wire, 'INVITE').find((m) => m.status === 200)!;
      expect(offer.body).toMatch(/^m=audio \d+ RTP\/AVP 0 8 101\r?$/m);
      expect(a.arrivals.length).toBeGreaterThan(0);
      expect(b.arrivals.length).toBeGreaterThan(0);
      expect(lateAt(a, b)).toBeLessThanOrEqual(2);
      expect(record.media!.remote).toBe(`127.0.0.1:${b.port}`);
    } finally {
      a.close();
      b.close();
    }
  });

  it('glare with our own session-refresh re-INVITE: their re-INVITE meanwhile gets 491 and does not move the media', async () => {
    const { sipp, a, b } = await moving('uas-refresh-glare.xml');
    try {
      const { record } = await call(sipp);
      expect(await sipp.waitForExit(), await sipp.errors()).toBe(0);
      expect(record).toMatchObject({ hangupBy: 'remote', endReason: 'bye' });
      expect(answersTo(await sipp.messages(), 'INVITE').map((m) => m.status)).toEqual([491]);
      expect(b.arrivals).toHaveLength(0);
      expect(record.media!.remote).toBe(`127.0.0.1:${a.port}`);
    } finally {
      a.close();
      b.close();
    }
  });

  it('hold (a=sendonly) is answered recvonly and our RTP stops; the resume elsewhere is answered sendrecv and RTP restarts there, marked', async () => {
    const { sipp, a, b } = await moving('uas-reinvite-hold.xml');
    try {
      const { record } = await call(sipp);
      expect(await sipp.waitForExit(), await sipp.errors()).toBe(0);
      expect(record).toMatchObject({ hangupBy: 'remote', endReason: 'bye' });
      const answers = answersTo(await sipp.messages(), 'INVITE').filter((m) => m.status === 200);
      expect(answers.map((m) => /^a=(\w+)\r?$/m.exec(m.body)?.[1])).toEqual(['recvonly', 'sendrecv']);
      expect(a.arrivals.length).toBeGreaterThan(0);
      expect(b.arrivals.length).toBeGreaterThan(0);
      const lastHeld = a.arrivals.at(-1)!;
      const resumed = b.arrivals[0]!;
      // Nothing went out while held: the next packet's sequence number follows the last one's,
      // while the media clock ran on for at least most of the 400 ms sipp held the call.
      expect((resumed.seq - lastHeld.seq) & 0xffff).toBe(1);
      expect((resumed.timestamp - lastHeld.timestamp) >>> 0).toBeGreaterThan(8 * 200);
      expect(resumed.marker).toBe(true);
    } finally {
      a.close();
      b.close();
    }
  });

  it('SRTP: a re-INVITE with a=crypto is answered with our line of its tag and suite, and our RTP there is SRTP under that key; theirs under their new key is taken, under the old one dropped and counted; one without crypto gets 488', () =>
    srtpReinvite(engine));

  it("SRTP: the 200 to our session-refresh re-INVITE with a new a=crypto key rekeys what we receive: packets under the new key are taken, the old key's after it dropped and counted", async () => {
    const { sipp, a, b } = await moving('uas-srtp-refresh-rekey.xml');
    // The far end's two keys (the scenario's K1, then K2 in its answer to our refresh), one stream each.
    const k1 = farEndSrtp(
      '1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR',
      0x1111,
    );
    const k2 = farEndSrtp(
      '1 AES_CM_128_HMAC_SHA1_80 inline:JVIgjkJ5LCzjdftKxiipQ4ldyDMJntwStkFU9wiY',
      0x2222,
    );
    // Sent the moment our RTP reaches each address: at a (before the refresh) under K1; at b (our
    // RTP goes there once the refresh's answer is taken, so the rekey is done) under K2, and K1 again.
    void a.first.then((us) => {
      for (let i = 0; i < 5; i++) a.send(k1(), us);
    });
    void b.first.then((us) => {
      for (let i = 0; i < 5; i++) {
        b.send(k2(), us);
        b.send(k1(), us);
      }
    });
    try {
      const { record } = await call(sipp, undefined, { engine, srtp: 'required' });
      expect(await sipp.waitForExit(), await sipp.errors()).toBe(0);
      expect(record).toMatchObject({ hangupBy: 'remote', endReason: 'bye' });
      const wire = await sipp.messages();
      const offer = wire.find((m) => m.direction === 'received' && m.method === 'INVITE')!.body;
      // Our own key did not change: what reached b after the refresh is under our offered tag-1 key.
      const ours = new SrtpContext(parseSdesCrypto(/^a=crypto:(1 .*?)\r?$/m.exec(offer)![1]!).key);
      expect(b.arrivals.length).toBeGreaterThan(0);
      expect(b.arrivals.filter((p) => !isSrtpDrop(ours.unprotectRtp(p.packet)))).toHaveLength(
        b.arrivals.length,
      );
      expect(record.media).toMatchObject({
        packetsReceived: 10,
        srtp: { suite: 'AES_CM_128_HMAC_SHA1_80', authFailures: 5, replayed: 0 },
        remote: `127.0.0.1:${b.port}`,
      });
    } finally {
      a.close();
      b.close();
    }
  });

  it('SRTP: an UPDATE before the answer with a=crypto settles the keys when the 200 has no SDP: RTP goes there under the key of our answer', async () => {
    const { sipp, a, b } = await moving('uas-srtp-early-update.xml');
    try {
      const { record, result } = await call(sipp, { hangupAfterMs: 600 }, { engine, srtp: 'required' });
      expect(await sipp.waitForExit(), await sipp.errors()).toBe(0);
      expect(result.kind, result.reason).toBe('answered');
      const updates = answersTo(await sipp.messages(), 'UPDATE');
      expect(updates.map((m) => m.status)).toEqual([200, 488]);
      const line = /^a=crypto:(4 AES_CM_128_HMAC_SHA1_32 .*?)\r?$/m.exec(updates[0]!.body)![1]!;
      const context = new SrtpContext(parseSdesCrypto(line).key);
      expect(a.arrivals).toHaveLength(0);
      expect(b.arrivals.length).toBeGreaterThan(0);
      expect(b.arrivals.filter((p) => !isSrtpDrop(context.unprotectRtp(p.packet)))).toHaveLength(
        b.arrivals.length,
      );
      expect(record.media?.srtp?.suite).toBe('AES_CM_128_HMAC_SHA1_32');
    } finally {
      a.close();
      b.close();
    }
  });

  it('TCP: an offer in our 200 whose ACK never comes ends the call after 64×T1 (the 200 is not re-sent there)', async () => {
    const tcp = new EmbeddedSipEngine({
      listen: { host: '127.0.0.1', port: 0 },
      transport: 'tcp',
      timers: { t1: 20, t2: 160, t4: 200 },
    });
    await tcp.start();
    const a = await sink();
    try {
      const sipp = await startSipp({
        scenario: 'uas-reinvite-no-ack.xml',
        transport: 'tcp',
        vars: { porta: String(a.port) },
      });
      const { record } = await call(sipp, undefined, { engine: tcp, transport: 'tcp' });
      expect(record).toMatchObject({ hangupBy: 'local', endReason: 'ack-timeout' });
      expect(await sipp.waitForExit(), await sipp.errors()).toBe(0);
      expect(answersTo(await sipp.messages(), 'INVITE').filter((m) => m.status === 200)).toHaveLength(1);
    } finally {
      a.close();
      await tcp.close();
    }
  });

  it('UPDATE before the answer: 200 with our answer (PCMA, their first), a G.729-only UPDATE 488; after a 200 without SDP, RTP goes where the UPDATE said', async () => {
    const { sipp, a, b } = await moving('uas-early-update-move.xml');
    try {
      const { record } = await call(sipp, { hangupAfterMs: 600 });
      expect(await sipp.waitForExit(), await sipp.errors()).toBe(0);
      expect(record).toMatchObject({ hangupBy: 'local', endReason: 'hangup-after' });
      const wire = await sipp.messages();
      const updates = answersTo(wire, 'UPDATE');
      expect(updates.map((m) => m.status)).toEqual([200, 488]);
      expect(updates[0]!.body).toMatch(/^m=audio \d+ RTP\/AVP 8\r?$/m);
      expect(a.arrivals).toHaveLength(0);
      expect(b.arrivals.length).toBeGreaterThan(0);
      expect(new Set(b.arrivals.map((p) => p.payloadType))).toEqual(new Set([8]));
      expect(record.media).toMatchObject({ codec: 'PCMA', remote: `127.0.0.1:${b.port}` });
    } finally {
      a.close();
      b.close();
    }
  });
});

describe.skipIf(drachtioEngine.skip !== undefined)(
  `media that moves in the dialog, through drachtio-server${
    drachtioEngine.skip !== undefined ? `: SKIPPED, ${drachtioEngine.skip}` : ''
  }`,
  () => {
    let drachtio: SipEngine;
    beforeAll(async () => {
      drachtio = await drachtioEngine.create({ transport: 'udp' });
    });
    afterAll(async () => {
      await drachtio?.close();
    });
    it('re-INVITE to a new port: 200 with our answer (our codec kept, their telephone-event type), RTP goes there; a G.729-only re-INVITE gets 488 and the call goes on', () =>
      reinviteToNewPort(drachtio));
    it('codec switch: a PCMA-only re-INVITE (telephone-event 97) is answered 200 with PCMA, and the prompt goes on there in A-law from where it was', () =>
      reinviteCodecSwitch(drachtio));
    it('SRTP: a re-INVITE with a=crypto is answered with our line of its tag and suite, and our RTP there is SRTP under that key; theirs under their new key is taken, under the old one dropped and counted; one without crypto gets 488', () =>
      srtpReinvite(drachtio));
  },
);
