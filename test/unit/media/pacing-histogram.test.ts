import { describe, expect, it } from 'vitest';
import { PacingHistogram } from '../../../src/media/index.js';

describe('PacingHistogram', () => {
  it('p50, p99 and max to within a bin, fine below 100 ms and coarse above', () => {
    const h = new PacingHistogram();
    for (let i = 0; i < 98; i++) h.record(0.5);
    h.record(3.0);
    h.record(250.4);
    const s = h.stats;
    expect(s.count).toBe(100);
    expect(s.p50Ms).toBeCloseTo(0.55, 6);
    expect(s.p99Ms).toBeCloseTo(3.05, 6);
    expect(s.maxMs).toBe(250.4);
    h.record(-1); // early counts as on time
    h.reset();
    expect(h.stats).toEqual({ count: 0, p50Ms: 0, p99Ms: 0, maxMs: 0 });
  });

  it('a percentile above 100 ms lands in a 1 ms bin', () => {
    const h = new PacingHistogram();
    for (let i = 0; i < 10; i++) h.record(150.2);
    h.record(151);
    expect(h.stats.p50Ms).toBe(151);
    expect(h.stats.maxMs).toBe(151);
  });
});
