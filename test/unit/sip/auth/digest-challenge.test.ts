import { describe, expect, it } from 'vitest';

import {
  DigestChallengeError,
  parseDigestChallenge,
  pickChallenge,
  UnsupportedDigestAlgorithmError,
} from '../../../../src/sip/embedded/auth/index.js';

function caught(run: () => unknown): unknown {
  try {
    run();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('parseDigestChallenge', () => {
  it('reads a typical SIP challenge', () => {
    expect(
      parseDigestChallenge(
        'Digest realm="carrier.test", nonce="ea9c8e88df84f1cec4341ae6cbe5a359", opaque="", qop="auth,auth-int", algorithm=MD5',
      ),
    ).toEqual({
      scheme: 'Digest',
      realm: 'carrier.test',
      nonce: 'ea9c8e88df84f1cec4341ae6cbe5a359',
      opaque: '',
      algorithm: 'MD5',
      qop: ['auth', 'auth-int'],
      stale: false,
      userhash: false,
    });
  });

  it('defaults the algorithm to MD5 and marks it implicit', () => {
    const c = parseDigestChallenge('Digest realm="r", nonce="n"');
    expect(c.algorithm).toBe('MD5');
    expect(c.implicitAlgorithm).toBe(true);
    expect(c.qop).toEqual([]);
    expect(c.opaque).toBeUndefined();
    expect(
      parseDigestChallenge('Digest realm="r", nonce="n", algorithm=MD5').implicitAlgorithm,
    ).toBeUndefined();
  });

  it('is case-insensitive in scheme and parameter names, and keeps values as sent', () => {
    const c = parseDigestChallenge('dIGEST REALM="Carrier", Nonce="AbC", ALGORITHM=sha-256, QOP="Auth"');
    expect(c).toMatchObject({
      scheme: 'Digest',
      realm: 'Carrier',
      nonce: 'AbC',
      algorithm: 'sha-256',
      qop: ['auth'],
    });
  });

  it('takes quoted and bare values, backslash escapes, and extra whitespace', () => {
    const c = parseDigestChallenge(
      '  Digest   realm = "a \\"quoted\\" realm, with comma" ,nonce=abc/def+==,\t opaque = "x\\\\y" ,, qop=auth , stale = TRUE ',
    );
    expect(c.realm).toBe('a "quoted" realm, with comma');
    expect(c.nonce).toBe('abc/def+==');
    expect(c.opaque).toBe('x\\y');
    expect(c.qop).toEqual(['auth']);
    expect(c.stale).toBe(true);
  });

  it('reads stale, userhash, domain and charset, and ignores unknown parameters', () => {
    const c = parseDigestChallenge(
      'Digest realm="r", domain="sip:ss1.carrier.com", nonce="n", stale="true", userhash=true, charset=UTF-8, ' +
        'x-vendor="whatever", foo=bar',
    );
    expect(c).toMatchObject({
      stale: true,
      userhash: true,
      domain: 'sip:ss1.carrier.com',
      charset: 'UTF-8',
    });
    expect(parseDigestChallenge('Digest realm="r", nonce="n", stale=FALSE').stale).toBe(false);
  });

  it('splits a qop list with spaces', () => {
    expect(parseDigestChallenge('Digest realm="r", nonce="n", qop=" auth ,  auth-int "').qop).toEqual([
      'auth',
      'auth-int',
    ]);
  });

  it('rejects another scheme, naming it', () => {
    const err = caught(() => parseDigestChallenge('Basic realm="WallyWorld"'));
    expect(err).toBeInstanceOf(DigestChallengeError);
    expect(err).toMatchObject({ code: 'SIP_DIGEST_CHALLENGE', field: 'scheme' });
    expect((err as Error).message).toContain('Basic');
  });

  it('rejects a missing nonce, naming the field', () => {
    const err = caught(() => parseDigestChallenge('Digest realm="carrier.test", qop="auth"'));
    expect(err).toBeInstanceOf(DigestChallengeError);
    expect(err).toMatchObject({ code: 'SIP_DIGEST_CHALLENGE', field: 'nonce' });
    expect((err as Error).message).toMatch(/no nonce/);
  });

  it('rejects a missing realm, naming the field', () => {
    expect(() => parseDigestChallenge('Digest nonce="n"')).toThrow(
      expect.objectContaining({ field: 'realm' }),
    );
  });

  it('rejects an empty value, a repeated parameter, an unterminated quote and a line break in a quote', () => {
    expect(() => parseDigestChallenge('   ')).toThrow(DigestChallengeError);
    expect(() => parseDigestChallenge('Digest realm="a", realm="b", nonce="n"')).toThrow(
      expect.objectContaining({ field: 'realm' }),
    );
    expect(() => parseDigestChallenge('Digest realm="r", nonce="n')).toThrow(/unterminated/);
    expect(() => parseDigestChallenge('Digest realm="r\r\nX: y", nonce="n"')).toThrow(/line break/);
  });

  it('sends a value with several challenges to pickChallenge', () => {
    expect(() =>
      parseDigestChallenge('Digest realm="r", nonce="a", algorithm=SHA-256, Digest realm="r", nonce="b"'),
    ).toThrow(/pickChallenge/);
  });
});

describe('pickChallenge', () => {
  const sha256 = 'Digest realm="carrier.test", nonce="n256", algorithm=SHA-256, qop="auth"';
  const md5 = 'Digest realm="carrier.test", nonce="nmd5", algorithm=MD5, qop="auth"';

  it('picks SHA-256 over MD5 whatever the order (RFC 8760)', () => {
    expect(pickChallenge([md5, sha256]).nonce).toBe('n256');
    expect(pickChallenge([sha256, md5]).nonce).toBe('n256');
  });

  it('ranks SHA-512-256 above SHA-256 and MD5, -sess included', () => {
    const values = [
      'Digest realm="r", nonce="a", algorithm=MD5-sess, qop=auth',
      'Digest realm="r", nonce="b", algorithm=SHA-512-256-sess, qop=auth',
      'Digest realm="r", nonce="c", algorithm=SHA-256-sess, qop=auth',
    ];
    expect(pickChallenge(values).algorithm).toBe('SHA-512-256-sess');
  });

  it("keeps the server's order between equal strengths", () => {
    const sess = 'Digest realm="r", nonce="s", algorithm=SHA-256-sess, qop=auth';
    expect(pickChallenge([sess, sha256]).nonce).toBe('s');
    expect(pickChallenge([sha256, sess]).nonce).toBe('n256');
  });

  it('reads several challenges in one header value, skipping other schemes', () => {
    const joined = `Basic realm="x", ${md5}, Bearer realm="y", ${sha256}`;
    expect(pickChallenge([joined]).nonce).toBe('n256');
  });

  it('skips an unsupported algorithm when a supported one is offered', () => {
    const aka = 'Digest realm="ims", nonce="aka", algorithm=AKAv1-MD5, qop=auth';
    expect(pickChallenge([aka, md5]).nonce).toBe('nmd5');
  });

  it('throws UnsupportedDigestAlgorithmError naming the algorithm when nothing is supported', () => {
    const err = caught(() =>
      pickChallenge(['Digest realm="ims", nonce="aka", algorithm=AKAv1-MD5, qop=auth']),
    );
    expect(err).toBeInstanceOf(UnsupportedDigestAlgorithmError);
    expect(err).toMatchObject({ code: 'SIP_DIGEST_UNSUPPORTED_ALGORITHM', algorithm: 'AKAv1-MD5' });
    expect((err as Error).message).toContain('AKAv1-MD5');
  });

  it('skips a malformed Digest challenge when a good one remains, and reports it otherwise', () => {
    const noNonce = 'Digest realm="r", algorithm=SHA-512-256';
    expect(pickChallenge([noNonce, md5]).nonce).toBe('nmd5');
    expect(() => pickChallenge([noNonce])).toThrow(expect.objectContaining({ field: 'nonce' }));
  });

  it('says so when no Digest challenge is offered at all', () => {
    expect(() => pickChallenge(['Basic realm="x"'])).toThrow(/no Digest challenge.*Basic/);
    expect(() => pickChallenge([])).toThrow(DigestChallengeError);
  });
});
