import { describe, expect, it } from 'vitest';
import {
  buildRtcpCompound,
  dtmfDigitOf,
  dtmfEventCode,
  parseRtcp,
  parseRtpPacket,
  parseTelephoneEvent,
  writeRtpHeader,
  writeTelephoneEvent,
} from '../../../src/media/index.js';

describe('RTP header', () => {
  it('round-trips, with marker, wrap-around values and the payload offset', () => {
    const buf = Buffer.alloc(12 + 160);
    writeRtpHeader(buf, {
      payloadType: 8,
      sequenceNumber: 0xffff,
      timestamp: 0xfffffff0,
      ssrc: 0xdeadbeef,
      marker: true,
    });
    expect(parseRtpPacket(buf)).toEqual({
      payloadType: 8,
      sequenceNumber: 0xffff,
      timestamp: 0xfffffff0,
      ssrc: 0xdeadbeef,
      marker: true,
      payloadOffset: 12,
      payloadLength: 160,
    });
  });

  it('skips CSRCs and a header extension, and drops padding', () => {
    const buf = Buffer.alloc(12 + 4 + 8 + 4 + 4);
    writeRtpHeader(buf, { payloadType: 0, sequenceNumber: 1, timestamp: 2, ssrc: 3, marker: false });
    buf[0] = 0x80 | 0x20 | 0x10 | 1; // padding, extension, 1 CSRC
    buf.writeUInt16BE(1, 12 + 4 + 2); // extension of one 32-bit word
    buf[buf.length - 1] = 4; // four bytes of padding
    expect(parseRtpPacket(buf)).toMatchObject({ payloadOffset: 24, payloadLength: 4 });
  });

  it('refuses what is not RTP: short, version 1, RTCP on the RTP port', () => {
    expect(parseRtpPacket(Buffer.alloc(11))).toBeUndefined();
    const v1 = Buffer.alloc(12);
    v1[0] = 0x40;
    expect(parseRtpPacket(v1)).toBeUndefined();
    const rtcp = buildRtcpCompound({ ssrc: 1, cname: 'x', nowMs: 0 });
    expect(parseRtpPacket(rtcp)).toBeUndefined();
  });
});

describe('telephone-event', () => {
  it('maps digits and codes both ways (RFC 4733 §3.2)', () => {
    expect([...'0123456789*#ABCD'].map((d) => dtmfEventCode(d))).toEqual([...Array(16).keys()]);
    expect(dtmfEventCode('a')).toBe(12);
    expect(dtmfEventCode('x')).toBeUndefined();
    expect(dtmfEventCode('12')).toBeUndefined();
    expect(dtmfDigitOf(11)).toBe('#');
    expect(dtmfDigitOf(16)).toBeUndefined();
  });

  it('round-trips the payload, end bit and volume', () => {
    const buf = Buffer.alloc(4);
    writeTelephoneEvent(buf, 0, { event: 11, end: true, volume: 10, duration: 2240 });
    expect([...buf]).toEqual([11, 0x8a, 0x08, 0xc0]);
    expect(parseTelephoneEvent(buf, 0, 4)).toEqual({ event: 11, end: true, volume: 10, duration: 2240 });
    expect(parseTelephoneEvent(buf, 0, 3)).toBeUndefined();
  });
});

describe('RTCP', () => {
  const report = {
    ssrc: 0xabc,
    fractionLost: 200,
    cumulativeLost: 7,
    extendedHighestSeq: 70_000,
    jitter: 80,
  };

  it('an SR with a report block about the peer, SDES CNAME and BYE, which the peer reads', () => {
    const packet = buildRtcpCompound({
      ssrc: 0x111,
      cname: 'dialer@127.0.0.1',
      sender: { wallClockMs: Date.now(), rtpTimestamp: 1234, packetCount: 50, octetCount: 8000 },
      report,
      nowMs: 0,
      bye: true,
    });
    expect(packet.length % 4).toBe(0);
    expect(packet[1]).toBe(200);
    const parsed = parseRtcp(packet, 0xabc, Date.now())!;
    expect(parsed.senderSsrc).toBe(0x111);
    expect(parsed.srNtpMiddle).toEqual(expect.any(Number));
    expect(parsed.bye).toBe(true);
    expect(parsed.aboutUs).toEqual({ fractionLost: 200 / 256, cumulativeLost: 7, jitterMs: 10 });
  });

  it('an RR when we sent nothing; blocks about other sources are ignored; negative cumulative loss (duplicates)', () => {
    const rr = buildRtcpCompound({
      ssrc: 5,
      cname: 'c',
      report: { ...report, cumulativeLost: -2 },
      nowMs: 0,
    });
    expect(rr[1]).toBe(201);
    expect(parseRtcp(rr, 0xabc, 0)!.aboutUs!.cumulativeLost).toBe(-2);
    expect(parseRtcp(rr, 0x999, 0)!.aboutUs).toBeUndefined();
  });

  it('LSR/DLSR give a round trip', () => {
    const now = Date.now();
    const theirs = parseRtcp(
      buildRtcpCompound({
        ssrc: 0xabc,
        cname: 'a',
        sender: { wallClockMs: now - 300, rtpTimestamp: 0, packetCount: 1, octetCount: 1 },
        nowMs: 0,
      }),
      1,
      now,
    )!;
    // They received our SR 300 ms ago and answer 100 ms after it arrived: RTT 200 ms.
    const answer = buildRtcpCompound({
      ssrc: 0xdef,
      cname: 'b',
      report: { ...report, ssrc: 0xabc },
      lastSr: { lsr: theirs.srNtpMiddle!, receivedAtMs: 1000 },
      nowMs: 1100,
    });
    const rtt = parseRtcp(answer, 0xabc, now)!.aboutUs!.rttMs!;
    expect(rtt).toBeGreaterThan(195);
    expect(rtt).toBeLessThan(205);
  });

  it('is not fooled by RTP', () => {
    const rtp = Buffer.alloc(20);
    writeRtpHeader(rtp, { payloadType: 0, sequenceNumber: 1, timestamp: 1, ssrc: 1, marker: false });
    expect(parseRtcp(rtp, 1, 0)).toBeUndefined();
  });
});
