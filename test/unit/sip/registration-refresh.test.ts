import { describe, expect, it } from 'vitest';

import { registrationRefreshMs, registrationRetryMs } from '../../../src/sip/registration-refresh.js';

describe('registrationRefreshMs', () => {
  it('refreshes a minute early for long bindings', () => {
    expect(registrationRefreshMs(3600)).toBe(3_540_000);
    expect(registrationRefreshMs(120)).toBe(60_000);
  });

  it('refreshes at half time for short bindings, never sooner than 500 ms', () => {
    expect(registrationRefreshMs(119)).toBe(59_500);
    expect(registrationRefreshMs(60)).toBe(30_000);
    expect(registrationRefreshMs(1)).toBe(500);
    expect(registrationRefreshMs(0)).toBe(500);
  });

  it('always refreshes before the binding expires', () => {
    for (let sec = 1; sec <= 7200; sec++) expect(registrationRefreshMs(sec)).toBeLessThan(sec * 1000);
  });
});

describe('registrationRetryMs', () => {
  const middle = () => 0.5;

  it('doubles from the base with each failure, up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => registrationRetryMs(n, 1000, 30_000, undefined, middle))).toEqual(
      [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000],
    );
  });

  it('treats zero failures like the first', () => {
    expect(registrationRetryMs(0, 1000, 30_000, undefined, middle)).toBe(1000);
  });

  it('jitters ±20 % around the capped value', () => {
    expect(registrationRetryMs(3, 1000, 30_000, undefined, () => 0)).toBe(3200);
    expect(registrationRetryMs(3, 1000, 30_000, undefined, () => 0.999_999)).toBeCloseTo(4800, 1);
    for (let i = 0; i < 200; i++) {
      const ms = registrationRetryMs(10, 1000, 30_000);
      expect(ms).toBeGreaterThanOrEqual(24_000);
      expect(ms).toBeLessThan(36_000);
    }
  });

  it('never retries before Retry-After', () => {
    expect(registrationRetryMs(1, 1000, 30_000, 120_000, middle)).toBe(120_000);
    expect(registrationRetryMs(6, 1000, 30_000, 5000, middle)).toBe(30_000);
  });
});
