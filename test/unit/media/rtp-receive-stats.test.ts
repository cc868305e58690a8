import { describe, expect, it } from 'vitest';
import { RtpReceiveStats } from '../../../src/media/index.js';

/** Feeds packets `seqs` at a perfect 20 ms spacing (timestamps and arrivals agree). */
function feed(stats: RtpReceiveStats, seqs: number[], ssrc = 1, t0 = 0): void {
  for (const seq of seqs) {
    const n = (seq - seqs[0]! + 0x10000) % 0x10000;
    stats.update(ssrc, seq, (n * 160) >>> 0, t0 + n * 20, true);
  }
}

describe('RtpReceiveStats (RFC 3550 A.1, A.3, A.8)', () => {
  it('counts loss from sequence gaps, across the 16-bit wrap', () => {
    const stats = new RtpReceiveStats();
    // 65532, 65535, 2 and 3 are missing.
    feed(stats, [65530, 65531, 65533, 65534, 0, 1, 4]);
    expect(stats.summary).toMatchObject({ packetsReceived: 7, packetsLost: 4, ssrcChanges: 0 });
    expect(stats.takeReport()).toMatchObject({ extendedHighestSeq: 0x10000 + 4, cumulativeLost: 4 });
  });

  it('reports the fraction lost per interval', () => {
    const stats = new RtpReceiveStats();
    feed(stats, [0, 1, 2, 3]);
    expect(stats.takeReport()!.fractionLost).toBe(0);
    feed(stats, [4, 6, 8, 10], 1, 80);
    // 7 expected in the interval, 4 received: 3/7 of 256.
    expect(stats.takeReport()!.fractionLost).toBe(Math.floor((3 * 256) / 7));
  });

  it('zero jitter for perfect spacing; RFC 3550 A.8 estimate for 10 ms of arrival variation', () => {
    const even = new RtpReceiveStats();
    feed(even, [0, 1, 2, 3, 4, 5]);
    expect(even.summary.jitterMs).toBe(0);
    const uneven = new RtpReceiveStats();
    let jitter = 0;
    for (let i = 0; i < 50; i++) {
      uneven.update(1, i, i * 160, i * 20 + (i % 2 === 0 ? 0 : 10), true);
      if (i > 0) jitter += (80 - jitter) / 16; // |D| is always 10 ms = 80 units
    }
    expect(uneven.summary.jitterMs).toBeCloseTo(jitter / 8, 6);
    expect(uneven.summary.maxJitterMs).toBeCloseTo(jitter / 8, 6);
  });

  it('a timestamp wrap does not look like jitter', () => {
    const stats = new RtpReceiveStats();
    const base = 0xffffff00;
    for (let i = 0; i < 5; i++) stats.update(1, i, (base + i * 160) >>> 0, i * 20, true);
    expect(stats.summary.jitterMs).toBe(0);
  });

  it('a new SSRC starts a new sequence, and the totals keep what came before', () => {
    const stats = new RtpReceiveStats();
    feed(stats, [10, 11, 13]);
    feed(stats, [500, 501], 2);
    expect(stats.summary).toMatchObject({ packetsReceived: 5, packetsLost: 1, ssrcChanges: 1, ssrc: 2 });
  });

  it('a jump far ahead is set aside once, and taken as a restart when the next packet follows it', () => {
    const stats = new RtpReceiveStats();
    feed(stats, [1, 2, 3]);
    expect(stats.update(1, 20_000, 0, 100, true)).toBe(false);
    expect(stats.update(1, 20_001, 160, 120, true)).toBe(true);
    expect(stats.summary).toMatchObject({ packetsReceived: 4, packetsLost: 0 });
  });

  it('duplicates do not make loss negative', () => {
    const stats = new RtpReceiveStats();
    feed(stats, [1, 2, 2, 2, 3]);
    expect(stats.summary.packetsLost).toBe(0);
    expect(stats.takeReport()!.cumulativeLost).toBe(-2);
  });
});
