import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import {
  encodeG711,
  MediaScheduler,
  parseRtpPacket,
  RtpSession,
  type DtmfEvent,
  type RtpPortLease,
  type RtpPortPool,
} from '../../../src/media/index.js';
import { openTestPool } from './open-test-pool.js';
import { waitFor } from '../../helpers/wait-for.js';

const pools: RtpPortPool[] = [];
const sessions: RtpSession[] = [];
const sockets: dgram.Socket[] = [];
let scheduler: MediaScheduler;

afterEach(async () => {
  for (const s of sessions.splice(0)) s.close();
  scheduler?.close();
  await Promise.all(sockets.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

async function leases(n: number): Promise<{ pool: RtpPortPool; leases: RtpPortLease[] }> {
  const pool = await openTestPool(n);
  pools.push(pool);
  scheduler = new MediaScheduler();
  return { pool, leases: Array.from({ length: n }, () => pool.lease()) };
}

function session(
  lease: RtpPortLease,
  to: RtpPortLease | { address: string; port: number },
  extra = {},
): RtpSession {
  const remote = 'rtpPort' in to ? { address: to.address, port: to.rtpPort } : to;
  const s = new RtpSession({
    lease,
    remote,
    codec: { name: 'PCMU', payloadType: 0 },
    telephoneEventPayloadType: 101,
    scheduler,
    deadAfterMs: 0,
    ...extra,
  });
  sessions.push(s);
  return s;
}

describe('RtpSession between two real sockets', () => {
  it('paces 20 ms packets: both ends count each other, no loss, a prompt plays to the end', async () => {
    const {
      leases: [a, b],
    } = await leases(2);
    const sa = session(a!, b!).start();
    const sb = session(b!, a!).start();
    const audio = new Uint8Array(160 * 25).fill(0x42); // 500 ms
    expect(await sa.play(audio)).toBe('played');
    await waitFor(() => sa.stats.packetsSent >= 50, { what: '50 packets' });
    sa.close();
    sb.close();
    const ta = sa.stats;
    const tb = sb.stats;
    expect(ta.packetsSent).toBeGreaterThanOrEqual(25);
    // Every packet A sent reached B (loopback), and B's receiver saw no gap.
    await waitFor(() => sb.stats.packetsReceived >= ta.packetsSent - 1, { what: 'B to see every packet' });
    expect(tb.packetsLost).toBe(0);
    expect(ta.latched && tb.latched).toBe(true);
  });

  it('sends digits as RFC 4733 events; the receiver reports each once despite the repeated end packets', async () => {
    const {
      leases: [a, b],
    } = await leases(2);
    const sa = session(a!, b!).start();
    const sb = session(b!, a!).start();
    const got: DtmfEvent[] = [];
    sb.on('dtmf', (e) => got.push(e));
    await sa.sendDtmf('19#', 100);
    await waitFor(() => got.length >= 3, { what: 'three digits' });
    // The end packets' repeats came after the digits; B has seen them all once it has received
    // two more packets than A had sent with the last one (A keeps sending audio; at most its
    // first packet, sent before B listened, is missing).
    const sent = sa.stats.packetsSent;
    await waitFor(() => sb.stats.packetsReceived >= sent + 2, { what: 'B past the last end repeat' });
    expect(got.map((e) => e.digit).join('')).toBe('19#');
    expect(got.every((e) => e.source === 'rtp' && e.durationMs === 100)).toBe(true);
    expect(sa.stats.dtmfSent).toBe(3);
    expect(sb.stats.dtmfReceived).toBe(3);
  });

  it('switchCodec mid-prompt: raw PCMU bytes playing go on as A-law of the same audio, and digits go at the new event type', async () => {
    const {
      leases: [a, b],
    } = await leases(2);
    const sa = session(a!, b!).start();
    const sb = session(b!, a!).start();
    // 2 s of a level of 8000: in A-law it decodes near 8000; μ-law bytes read as A-law would not.
    const playing = sa.play(encodeG711(new Int16Array(16_000).fill(8000), 'PCMU'));
    await waitFor(() => sb.stats.packetsReceived >= 5, { what: 'PCMU packets at B' });
    const format = { codec: { name: 'PCMA' as const, payloadType: 8 }, telephoneEventPayloadType: 96 };
    sb.switchCodec(format);
    sa.switchCodec(format);
    expect(sa.codec).toBe('PCMA');
    const heard: Int16Array[] = [];
    sb.on('audio', (pcm) => heard.push(pcm));
    const got: DtmfEvent[] = [];
    sb.on('dtmf', (e) => got.push(e));
    await waitFor(() => heard.length >= 5, { what: 'PCMA frames at B' });
    await sa.sendDtmf('7', 100);
    await waitFor(() => got.length >= 1, { what: 'the digit at event type 96' });
    sa.stopPlayback();
    expect(await playing).toBe('stopped');
    expect(got.map((e) => e.digit)).toEqual(['7']);
    const samples = heard.slice(0, 5).flatMap((f) => [...f]);
    expect(Math.min(...samples)).toBeGreaterThan(7500);
    expect(Math.max(...samples)).toBeLessThan(8500);
    expect(sa.stats.codec).toBe('PCMA');
  });

  it('after switchCodec, packets still at the old payload type are decoded in the old codec, by their own type', async () => {
    const {
      leases: [a, b],
    } = await leases(2);
    const sa = session(a!, b!).start();
    const sb = session(b!, a!).start();
    // A level of 8000 in μ-law: read as A-law it would decode far from 8000.
    const playing = sa.play(encodeG711(new Int16Array(16_000).fill(8000), 'PCMU'));
    await waitFor(() => sb.stats.packetsReceived >= 2, { what: 'PCMU packets at B' });
    // B switched (its answer went out); A's packets still come at PT 0.
    sb.switchCodec({ codec: { name: 'PCMA', payloadType: 8 } });
    const heard: Int16Array[] = [];
    sb.on('audio', (pcm) => heard.push(pcm));
    await waitFor(() => heard.length >= 5, { what: 'old-type frames decoded at B' });
    sa.stopPlayback();
    expect(await playing).toBe('stopped');
    const samples = heard.slice(0, 5).flatMap((f) => [...f]);
    expect(Math.min(...samples)).toBeGreaterThan(7500);
    expect(Math.max(...samples)).toBeLessThan(8500);
  });

  it('refuses DTMF the answer did not allow, and digits that are not DTMF', async () => {
    const {
      leases: [a, b],
    } = await leases(2);
    const plain = session(a!, b!, { telephoneEventPayloadType: undefined });
    await expect(plain.sendDtmf('1')).rejects.toMatchObject({ code: 'MEDIA_SESSION' });
    const s = session(b!, a!);
    await expect(s.sendDtmf('1x')).rejects.toThrow(/"1x"/);
  });

  it('symmetric RTP: sends to where the far end sends from, not to the SDP address', async () => {
    const {
      leases: [a, b],
    } = await leases(2);
    // A's SDP view of the far end is a socket that only counts; B really sends from b.rtpPort.
    const decoy = dgram.createSocket('udp4');
    sockets.push(decoy);
    await new Promise<void>((r) => decoy.bind(0, '127.0.0.1', () => r()));
    let toDecoy = 0;
    decoy.on('message', () => toDecoy++);
    const sa = session(a!, { address: '127.0.0.1', port: decoy.address().port }).start();
    const sb = session(b!, a!).start();
    await waitFor(() => sa.stats.latched, { what: 'A to latch' });
    const decoyBefore = toDecoy;
    const bBefore = sb.stats.packetsReceived;
    await waitFor(() => sb.stats.packetsReceived >= bBefore + 20, { what: 'B to receive A' });
    expect(sa.stats.remote).toBe(`127.0.0.1:${b!.rtpPort}`);
    expect(toDecoy - decoyBefore).toBeLessThanOrEqual(1);
  });

  it('a far end that sends nothing is reported dead once', async () => {
    const {
      leases: [a],
    } = await leases(1);
    const sink = dgram.createSocket('udp4');
    sockets.push(sink);
    await new Promise<void>((r) => sink.bind(0, '127.0.0.1', () => r()));
    const s = session(a!, { address: '127.0.0.1', port: sink.address().port }, { deadAfterMs: 300 }).start();
    const dead: unknown[] = [];
    s.on('dead', (e) => dead.push(e));
    await waitFor(() => dead.length > 0, { what: 'dead' });
    // The silence check runs every 5 packets sent; 15 more is three more checks, each of which
    // would have reported it again.
    const sentAtDead = s.stats.packetsSent;
    await waitFor(() => s.stats.packetsSent >= sentAtDead + 15, { what: 'three more silence checks' });
    expect(dead).toEqual([{ silentMs: expect.any(Number), everReceived: false }]);
  });

  it('exchanges RTCP: each side gets the other report about its own stream', async () => {
    const {
      leases: [a, b],
    } = await leases(2);
    const sa = session(a!, b!, { rtcpIntervalMs: 300 }).start();
    const sb = session(b!, a!, { rtcpIntervalMs: 300 }).start();
    await waitFor(() => sa.stats.remoteReport !== undefined && sb.stats.remoteReport !== undefined, {
      what: 'reports',
    });
    expect(sa.stats.rtcpReceived).toBeGreaterThan(0);
    expect(sa.stats.remoteReport?.cumulativeLost).toBe(0);
    await waitFor(() => sa.stats.remoteReport?.rttMs !== undefined, { what: 'an RTT from LSR/DLSR' });
    expect(sa.stats.remoteReport!.rttMs).toBeGreaterThanOrEqual(0);
  });

  it('marks talk-spurt starts and keeps sequence and timestamp steps of 1 and 160', async () => {
    const {
      leases: [a],
    } = await leases(1);
    const sink = dgram.createSocket('udp4');
    sockets.push(sink);
    await new Promise<void>((r) => sink.bind(0, '127.0.0.1', () => r()));
    const seen: Array<{ seq: number; ts: number; marker: boolean; first: number }> = [];
    sink.on('message', (buf) => {
      const p = parseRtpPacket(buf)!;
      seen.push({ seq: p.sequenceNumber, ts: p.timestamp, marker: p.marker, first: buf[p.payloadOffset]! });
    });
    const s = session(a!, { address: '127.0.0.1', port: sink.address().port }).start();
    await waitFor(() => seen.length >= 5, { what: 'silence' });
    await s.play(new Uint8Array(320).fill(0x11));
    await waitFor(() => seen.length >= 15, { what: 'more packets' });
    s.close();
    // Every packet sent has arrived: the checks below see the whole stream, not a prefix.
    const sentTotal = s.stats.packetsSent;
    await waitFor(() => seen.length >= sentTotal, { what: 'every packet sent at the sink' });
    expect(seen).toHaveLength(sentTotal);
    expect(seen[0]!.marker).toBe(true);
    for (let i = 1; i < seen.length; i++) {
      expect((seen[i]!.seq - seen[i - 1]!.seq + 0x10000) % 0x10000).toBe(1);
      expect((seen[i]!.ts - seen[i - 1]!.ts + 2 ** 32) % 2 ** 32).toBe(160);
    }
    const talk = seen.findIndex((p) => p.first === 0x11);
    expect(seen[talk]!.marker).toBe(true);
    expect(seen[talk + 1]!.first).toBe(0x11);
    expect(seen.filter((p) => p.marker)).toHaveLength(2);
    expect(seen.filter((p) => p.first !== 0x11).every((p) => p.first === 0xff)).toBe(true); // μ-law silence
  });

  it("marks each digit's first event packet and the audio after it, never an end packet", async () => {
    const {
      leases: [a],
    } = await leases(1);
    const sink = dgram.createSocket('udp4');
    sockets.push(sink);
    await new Promise<void>((r) => sink.bind(0, '127.0.0.1', () => r()));
    const seen: Array<{ pt: number; marker: boolean; end: boolean }> = [];
    sink.on('message', (buf) => {
      const p = parseRtpPacket(buf)!;
      seen.push({ pt: p.payloadType, marker: p.marker, end: (buf[p.payloadOffset + 1]! & 0x80) !== 0 });
    });
    const s = session(a!, { address: '127.0.0.1', port: sink.address().port }).start();
    await waitFor(() => seen.length >= 2, { what: 'silence' });
    await s.sendDtmf('12', 60);
    await waitFor(() => seen.length >= 2 && seen.at(-1)!.pt === 0 && seen.at(-2)!.pt === 0, {
      what: 'audio after the digits',
    });
    s.close();
    const events = seen.filter((p) => p.pt === 101);
    expect(events.filter((p) => p.end)).toHaveLength(6); // three end packets per digit
    expect(events.filter((p) => p.end && p.marker)).toHaveLength(0);
    // Starts of the two events: the first packet, and the one after the first digit's ends.
    expect(events.filter((p) => p.marker)).toHaveLength(2);
    const afterDigits = seen.findIndex((p, i) => i > 0 && p.pt === 0 && seen[i - 1]!.pt === 101);
    expect(seen[afterDigits]!.marker).toBe(true);
  });

  it('close() takes its listeners off the leased sockets, so the pool gets clean sockets back', async () => {
    const {
      pool,
      leases: [a, b],
    } = await leases(2);
    const sa = session(a!, b!).start();
    expect(a!.rtpSocket.listenerCount('message')).toBe(1);
    sa.close();
    sa.close();
    expect(a!.rtpSocket.listenerCount('message')).toBe(0);
    expect(a!.rtcpSocket!.listenerCount('message')).toBe(0);
    a!.release();
    b!.release();
    expect(pool.leased).toBe(0);
  });
});
