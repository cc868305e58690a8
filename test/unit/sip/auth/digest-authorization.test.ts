import { createHash } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import {
  buildDigestAuthorization,
  createCnonce,
  DigestChallengeError,
  DigestInputError,
  parseDigestChallenge,
  UnsupportedDigestAlgorithmError,
} from '../../../../src/sip/embedded/auth/index.js';

/** The parameters of an Authorization value, unquoted; `quoted` records which were quoted. */
function params(header: string): { values: Record<string, string>; quoted: Set<string> } {
  expect(header.startsWith('Digest ')).toBe(true);
  const values: Record<string, string> = {};
  const quoted = new Set<string>();
  for (const m of header.slice(7).matchAll(/([a-z-]+)=(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g)) {
    const name = m[1] as string;
    if (m[2] !== undefined) {
      values[name] = m[2].replace(/\\(.)/g, '$1');
      quoted.add(name);
    } else values[name] = m[3] as string;
  }
  return { values, quoted };
}

const h = (alg: string, data: string | Buffer): string => createHash(alg).update(data).digest('hex');

// RFC 7616 §3.9.1 (inputs and both responses; password "Circle of Life" per verified erratum 4495).
const RFC7616 = {
  username: 'Mufasa',
  password: 'Circle of Life',
  realm: 'http-auth@example.org',
  nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
  cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
  opaque: 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS',
};

function rfc7616Challenge(algorithm: string) {
  return parseDigestChallenge(
    `Digest realm="${RFC7616.realm}", qop="auth, auth-int", algorithm=${algorithm}, ` +
      `nonce="${RFC7616.nonce}", opaque="${RFC7616.opaque}"`,
  );
}

describe('buildDigestAuthorization', () => {
  it.each([
    ['MD5', '8ca523f5e9506fed4657c9700eebdbec'],
    ['SHA-256', '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1'],
  ])('reproduces RFC 7616 §3.9.1 with %s', (algorithm, expected) => {
    const header = buildDigestAuthorization({
      challenge: rfc7616Challenge(algorithm),
      method: 'GET',
      uri: '/dir/index.html',
      username: RFC7616.username,
      password: RFC7616.password,
      nc: 1,
      cnonce: RFC7616.cnonce,
    });
    const { values, quoted } = params(header);
    expect(values).toEqual({
      username: 'Mufasa',
      realm: RFC7616.realm,
      nonce: RFC7616.nonce,
      uri: '/dir/index.html',
      response: expected,
      algorithm,
      cnonce: RFC7616.cnonce,
      qop: 'auth',
      nc: '00000001',
      opaque: RFC7616.opaque,
    });
    // RFC 7616 §3.4: qop, nc and algorithm are tokens, everything else a quoted string.
    expect([...quoted].sort()).toEqual(['cnonce', 'nonce', 'opaque', 'realm', 'response', 'uri', 'username']);
  });

  it('reproduces RFC 2617 §3.5 (MD5, qop=auth, no algorithm in the challenge)', () => {
    const challenge = parseDigestChallenge(
      'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", ' +
        'opaque="5ccc069c403ebaf9f0171e9517f40e41"',
    );
    const header = buildDigestAuthorization({
      challenge,
      method: 'GET',
      uri: '/dir/index.html',
      username: 'Mufasa',
      password: 'Circle Of Life',
      nc: 1,
      cnonce: '0a4f113b',
    });
    const { values } = params(header);
    expect(values.response).toBe('6629fae49393a05397450978507c4ef1');
    expect(values.opaque).toBe('5ccc069c403ebaf9f0171e9517f40e41');
    // The challenge named no algorithm, so neither does the answer (as in the RFC's example).
    expect(values.algorithm).toBeUndefined();
    expect(header).toContain('qop=auth, nc=00000001');
  });

  it('reproduces RFC 7616 §3.9.2 (SHA-512-256, userhash) with the erratum 4897 figures', () => {
    const challenge = parseDigestChallenge(
      'Digest realm="api@example.org", qop="auth", algorithm=SHA-512-256, ' +
        'nonce="5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK", ' +
        'opaque="HRPCssKJSGjCrkzDg8OhwpzCiGPChXYjwrI2QmXDnsOS", charset=UTF-8, userhash=true',
    );
    const { values } = params(
      buildDigestAuthorization({
        challenge,
        method: 'GET',
        uri: '/doe.json',
        username: 'J\u00e4s\u00f8n Doe',
        password: 'Secret, or not?',
        nc: 1,
        cnonce: 'NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v',
      }),
    );
    // The RFC printed hashes from a draft SHA-512/256; these (erratum 4897) match Python's hashlib.
    expect(values.username).toBe('793263caabb707a56211940d90411ea4a575adeccb7e360aeb624ed06ece9b0b');
    expect(values.response).toBe('3798d4131c277846293534c3edc11bd8a5e4cdcbff78b05db9d95eeb1cec68a5');
    expect(values.userhash).toBe('true');
    expect(values.algorithm).toBe('SHA-512-256');
  });

  it.each([
    ['MD5-sess', 'md5'],
    ['SHA-256-sess', 'sha256'],
    ['SHA-512-256-sess', 'sha512-256'],
  ])('computes %s from first principles', (algorithm, hash) => {
    const challenge = parseDigestChallenge(
      `Digest realm="carrier.test", nonce="abc123", qop="auth", algorithm=${algorithm}`,
    );
    const uri = 'sip:+15551234567@carrier.test';
    const { values } = params(
      buildDigestAuthorization({
        challenge,
        method: 'INVITE',
        uri,
        username: 'alice',
        password: 's3cret',
        nc: 3,
        cnonce: '0a4f113b',
      }),
    );
    const ha1 = h(hash, `${h(hash, 'alice:carrier.test:s3cret')}:abc123:0a4f113b`);
    const ha2 = h(hash, `INVITE:${uri}`);
    expect(values.response).toBe(h(hash, `${ha1}:abc123:00000003:0a4f113b:auth:${ha2}`));
    expect(values.algorithm).toBe(algorithm);
    expect(values.nc).toBe('00000003');
  });

  it('hashes the body for auth-int when the server offers only that', () => {
    const challenge = parseDigestChallenge(
      'Digest realm="carrier.test", nonce="abc123", qop="auth-int", algorithm=SHA-512-256-sess',
    );
    const body = Buffer.from('v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n');
    const input = {
      challenge,
      method: 'INVITE',
      uri: 'sip:+15551234567@carrier.test',
      username: 'alice',
      password: 's3cret',
      nc: 2,
      cnonce: '0a4f113b',
      body,
    };
    const { values } = params(buildDigestAuthorization(input));
    expect(values.qop).toBe('auth-int');
    // Computed independently with Python's hashlib.sha512_256.
    expect(values.response).toBe('d2b3e221e2550d2efa24dff61d7fbf168b9041e292d7a99f092c427835cd0955');
    // A different body must sign differently, or auth-int protects nothing.
    const other = params(buildDigestAuthorization({ ...input, body: Buffer.from('v=0\r\n') }));
    expect(other.values.response).not.toBe(values.response);
  });

  it('hashes an absent body as empty for auth-int', () => {
    const challenge = parseDigestChallenge('Digest realm="r", nonce="n", qop=auth-int');
    const { values } = params(
      buildDigestAuthorization({
        challenge,
        method: 'BYE',
        uri: 'sip:a@b',
        username: 'u',
        password: 'p',
        nc: 1,
        cnonce: 'c',
      }),
    );
    const ha1 = h('md5', 'u:r:p');
    const ha2 = h('md5', `BYE:sip:a@b:${h('md5', '')}`);
    expect(values.response).toBe(h('md5', `${ha1}:n:00000001:c:auth-int:${ha2}`));
  });

  it('prefers auth when both auth and auth-int are offered', () => {
    const challenge = parseDigestChallenge('Digest realm="r", nonce="n", qop="auth-int,auth"');
    const { values } = params(
      buildDigestAuthorization({
        challenge,
        method: 'INVITE',
        uri: 'sip:a@b',
        username: 'u',
        password: 'p',
        nc: 1,
        cnonce: 'c',
      }),
    );
    expect(values.qop).toBe('auth');
  });

  it('answers an RFC 2069 challenge (no qop) without nc, cnonce or qop', () => {
    const challenge = parseDigestChallenge('Digest realm="asterisk", nonce="4e1a2b3c"');
    const header = buildDigestAuthorization({
      challenge,
      method: 'REGISTER',
      uri: 'sip:carrier.test',
      username: '1001',
      password: 'pw',
      nc: 1,
      cnonce: 'ignored',
    });
    const { values } = params(header);
    const expected = h(
      'md5',
      `${h('md5', '1001:asterisk:pw')}:4e1a2b3c:${h('md5', 'REGISTER:sip:carrier.test')}`,
    );
    expect(values).toEqual({
      username: '1001',
      realm: 'asterisk',
      nonce: '4e1a2b3c',
      uri: 'sip:carrier.test',
      response: expected,
    });
  });

  it('escapes quotes and backslashes it echoes', () => {
    const challenge = parseDigestChallenge('Digest realm="a \\"b\\" \\\\ c", nonce="n", qop=auth');
    expect(challenge.realm).toBe('a "b" \\ c');
    const header = buildDigestAuthorization({
      challenge,
      method: 'INVITE',
      uri: 'sip:a@b',
      username: 'u"v',
      password: 'p',
      nc: 1,
      cnonce: 'c',
    });
    expect(header).toContain('realm="a \\"b\\" \\\\ c"');
    expect(header).toContain('username="u\\"v"');
    expect(params(header).values.realm).toBe('a "b" \\ c');
  });

  it('formats nc as 8 lower-case hex digits', () => {
    const challenge = parseDigestChallenge('Digest realm="r", nonce="n", qop=auth');
    const base = { challenge, method: 'INVITE', uri: 'sip:a@b', username: 'u', password: 'p', cnonce: 'c' };
    expect(params(buildDigestAuthorization({ ...base, nc: 255 })).values.nc).toBe('000000ff');
    expect(params(buildDigestAuthorization({ ...base, nc: 0xffffffff })).values.nc).toBe('ffffffff');
  });

  it('refuses an nc out of range, naming it', () => {
    const challenge = parseDigestChallenge('Digest realm="r", nonce="n", qop=auth');
    const base = { challenge, method: 'INVITE', uri: 'sip:a@b', username: 'u', password: 'p', cnonce: 'c' };
    for (const nc of [0, -1, 1.5, 0x100000000]) {
      expect(() => buildDigestAuthorization({ ...base, nc })).toThrow(
        expect.objectContaining({ code: 'SIP_DIGEST_INPUT', field: 'nc' }),
      );
    }
  });

  it('refuses CR or LF in a value it would put on the wire', () => {
    const challenge = parseDigestChallenge('Digest realm="r", nonce="n", qop=auth');
    const err = (() => {
      try {
        buildDigestAuthorization({
          challenge,
          method: 'INVITE',
          uri: 'sip:a@b\r\nX-Evil: 1',
          username: 'u',
          password: 'p',
          nc: 1,
          cnonce: 'c',
        });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(DigestInputError);
    expect((err as DigestInputError).field).toBe('uri');
    expect((err as DigestInputError).message).toContain('X-Evil');
  });

  it('throws UnsupportedDigestAlgorithmError for an algorithm it cannot compute', () => {
    const challenge = parseDigestChallenge('Digest realm="ims", nonce="n", algorithm=AKAv1-MD5, qop=auth');
    const run = () =>
      buildDigestAuthorization({
        challenge,
        method: 'REGISTER',
        uri: 'sip:ims',
        username: 'u',
        password: 'p',
        nc: 1,
        cnonce: 'c',
      });
    expect(run).toThrow(UnsupportedDigestAlgorithmError);
    expect(run).toThrow(
      expect.objectContaining({ code: 'SIP_DIGEST_UNSUPPORTED_ALGORITHM', algorithm: 'AKAv1-MD5' }),
    );
  });

  it('refuses a qop list with nothing it knows, and -sess without qop', () => {
    const base = { method: 'INVITE', uri: 'sip:a@b', username: 'u', password: 'p', nc: 1, cnonce: 'c' };
    const onlyUnknown = parseDigestChallenge('Digest realm="r", nonce="n", qop="auth-conf"');
    expect(() => buildDigestAuthorization({ ...base, challenge: onlyUnknown })).toThrow(
      expect.objectContaining({ code: 'SIP_DIGEST_CHALLENGE', field: 'qop' }),
    );
    const sessNoQop = parseDigestChallenge('Digest realm="r", nonce="n", algorithm=MD5-sess');
    expect(() => buildDigestAuthorization({ ...base, challenge: sessNoQop })).toThrow(DigestChallengeError);
  });

  it('matches algorithm names case-insensitively and echoes them as sent', () => {
    const challenge = parseDigestChallenge('Digest realm="r", nonce="n", qop=auth, algorithm="sha-256"');
    const { values } = params(
      buildDigestAuthorization({
        challenge,
        method: 'INVITE',
        uri: 'sip:a@b',
        username: 'u',
        password: 'p',
        nc: 1,
        cnonce: 'c',
      }),
    );
    expect(values.algorithm).toBe('sha-256');
    expect(values.response).toHaveLength(64);
  });
});

describe('createCnonce', () => {
  it('returns 32 hex digits, different each time', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 100; i++) {
      const cnonce = createCnonce();
      expect(cnonce).toMatch(/^[0-9a-f]{32}$/);
      seen.add(cnonce);
    }
    expect(seen.size).toBe(100);
  });
});
