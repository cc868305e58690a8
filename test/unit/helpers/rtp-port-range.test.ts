import { describe, expect, it } from 'vitest';
import { reserveRtpRange } from '../../helpers/rtp-port-range.js';

describe('reserveRtpRange', () => {
  it('never hands out the same ports twice, even to reservations made at once', async () => {
    const ranges = await Promise.all(Array.from({ length: 40 }, () => reserveRtpRange()));
    const ports = ranges.flatMap((r) => Array.from({ length: r.last - r.first + 1 }, (_, i) => r.first + i));
    expect(new Set(ports).size).toBe(40 * 20);
    for (const r of ranges) {
      expect(r.first % 2).toBe(0);
      expect(r.last - r.first).toBe(19);
    }
  });
});
