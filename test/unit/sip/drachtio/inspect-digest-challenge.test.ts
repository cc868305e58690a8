import { describe, expect, it } from 'vitest';
import { inspectDigestChallenge } from '../../../../src/sip/drachtio/inspect-digest-challenge.js';

describe('inspectDigestChallenge', () => {
  it('accepts an MD5 challenge and summarises it for operators', () => {
    const seen = inspectDigestChallenge(
      401,
      'Digest realm="carrier.test", nonce="abc", qop="auth", algorithm=MD5',
    );
    expect(seen.md5Offered).toBe(true);
    expect(seen.algorithms).toEqual(['MD5']);
    expect(seen.summary).toBe('401 realm="carrier.test" algorithm=MD5 qop=auth');
  });

  it('treats a challenge without algorithm as MD5 (RFC 2617)', () => {
    const seen = inspectDigestChallenge(407, 'Digest realm="x", nonce="n"');
    expect(seen.md5Offered).toBe(true);
    expect(seen.summary).toBe('407 realm="x" algorithm=MD5');
  });

  it('names SHA-256 when it is all the carrier offers', () => {
    const seen = inspectDigestChallenge(401, 'Digest realm="x", nonce="n", algorithm=SHA-256, qop="auth"');
    expect(seen.md5Offered).toBe(false);
    expect(seen.algorithms).toEqual(['SHA-256']);
  });

  it('finds MD5 among several challenges joined with commas (RFC 8760 offers both)', () => {
    const seen = inspectDigestChallenge(
      401,
      'Digest realm="x", nonce="a", algorithm=SHA-256, qop="auth",Digest realm="x", nonce="b", algorithm=MD5, qop="auth"',
    );
    expect(seen.algorithms).toEqual(['SHA-256', 'MD5']);
    expect(seen.md5Offered).toBe(true);
  });

  it('reports stale=true and copes with a value that holds no Digest challenge', () => {
    expect(inspectDigestChallenge(401, 'Digest realm="x", nonce="n", stale=TRUE').summary).toContain(
      'stale=true',
    );
    const none = inspectDigestChallenge(401, 'Basic realm="x"');
    expect(none.md5Offered).toBe(false);
    expect(none.algorithms).toEqual([]);
  });
});
