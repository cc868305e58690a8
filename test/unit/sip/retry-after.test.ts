import { describe, expect, it } from 'vitest';

import { parseRetryAfter } from '../../../src/sip/retry-after.js';

describe('parseRetryAfter', () => {
  it('reads delta-seconds as ms, ignoring parameters and comments (RFC 3261 §20.33)', () => {
    expect(parseRetryAfter('30')).toBe(30_000);
    expect(parseRetryAfter('30;duration=60')).toBe(30_000);
    expect(parseRetryAfter('18000 (I am in a meeting)')).toBe(18_000_000);
    expect(parseRetryAfter('  5 ')).toBe(5000);
    expect(parseRetryAfter('0')).toBe(0);
  });

  it('gives undefined when absent or unreadable', () => {
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter('')).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter('-5')).toBeUndefined();
    // An HTTP-date is not SIP syntax.
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT')).toBeUndefined();
  });
});
