import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../../src/config/index.js';
import { tryParseByteSize } from '../../../src/config/parse-byte-size.js';

const TOKEN = 'tok-0123456789abcdef-SECRET';
const minimal = (api: string) => `trunks:\n  - name: carrier\n    domain: carrier.test\n${api}`;

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('api config section', () => {
  it('reads listen, token from the environment and a body limit with units', () => {
    const config = parseConfig(
      minimal('api:\n  listen: 0.0.0.0:9090\n  token: ${API_TOKEN}\n  bodyLimit: 2MB\n'),
      { API_TOKEN: TOKEN },
    );
    expect(config.api).toStrictEqual({
      listen: { host: '0.0.0.0', port: 9090 },
      token: TOKEN,
      tokens: [{ name: 'api.token', token: TOKEN, role: 'admin' }],
      bodyLimitBytes: 2 * 1024 * 1024,
      requestTimeoutMs: 300_000,
      headersTimeoutMs: 10_000,
      keepAliveTimeoutMs: 5_000,
      idleTimeoutMs: 120_000,
      maxFailedLogins: 10,
      maxWaiters: 1000,
      trustProxy: false,
      sessionTtlMs: 8 * 3_600_000,
    });
  });

  it('reads named tokens with roles next to the legacy admin token', () => {
    const config = parseConfig(
      minimal(
        'api:\n  token: ${API_TOKEN}\n  tokens:\n' +
          '    - { name: dash, token: view-0123456789abcdef, role: viewer }\n' +
          '    - { name: ops, token: oper-0123456789abcdef, role: operator }\n',
      ),
      { API_TOKEN: TOKEN },
    );
    expect(config.api.tokens).toStrictEqual([
      { name: 'api.token', token: TOKEN, role: 'admin' },
      { name: 'dash', token: 'view-0123456789abcdef', role: 'viewer' },
      { name: 'ops', token: 'oper-0123456789abcdef', role: 'operator' },
    ]);
  });

  it('names a duplicate token name and a reused token, never showing the token', () => {
    const error = configError(() =>
      parseConfig(
        minimal(
          'api:\n  token: legacy-0123456789abcdef\n  tokens:\n' +
            '    - { name: a, token: first-0123456789abcdef, role: viewer }\n' +
            '    - { name: a, token: other-0123456789abcdef, role: viewer }\n' +
            '    - { name: b, token: first-0123456789abcdef, role: operator }\n' +
            '    - { name: c, token: legacy-0123456789abcdef, role: admin }\n' +
            '    - { name: api.token, token: fresh-0123456789abcdef, role: admin }\n',
        ),
        {},
      ),
    );
    expect(error.issues.map((i) => i.path).sort()).toStrictEqual([
      'api.tokens[1].name',
      'api.tokens[2].token',
      'api.tokens[3].token',
      'api.tokens[4].name',
    ]);
    expect(error.message).toContain('"a"');
    for (const secret of ['first-0123456789abcdef', 'legacy-0123456789abcdef']) {
      expect(error.message).not.toContain(secret);
    }
  });

  it('names a short token and a bad role, never showing the token', () => {
    const error = configError(() =>
      parseConfig(
        minimal(
          'api:\n  tokens:\n' +
            '    - { name: d, token: tiny-secret, role: admin }\n' +
            '    - { name: e, token: fine-0123456789abcdef, role: root }\n',
        ),
        {},
      ),
    );
    expect(error.issues.map((i) => i.path).sort()).toStrictEqual([
      'api.tokens[0].token',
      'api.tokens[1].role',
    ]);
    expect(error.message).toContain('viewer, operator, admin');
    expect(error.message).not.toContain('tiny-secret');
  });

  it('refuses a token entry without a role or a name', () => {
    const error = configError(() =>
      parseConfig(minimal('api:\n  tokens:\n    - { token: only-0123456789abcdef }\n'), {}),
    );
    expect(error.issues.map((i) => i.path).sort()).toStrictEqual([
      'api.tokens[0].name',
      'api.tokens[0].role',
    ]);
  });

  it('refuses a short token without showing it', () => {
    const error = configError(() => parseConfig(minimal('api: { token: short-secret }\n'), {}));
    expect(error.issues.map((i) => i.path)).toStrictEqual(['api.token']);
    expect(error.message).not.toContain('short-secret');
    expect(error.message).toContain('[redacted]');
  });

  it.each([
    ['true', true],
    ['false', false],
    ['"127.0.0.1"', ['127.0.0.1']],
    ['"10.0.0.1, 10.0.0.2"', ['10.0.0.1', '10.0.0.2']],
    ['[10.0.0.0/8, "fd00::/8", loopback]', ['10.0.0.0/8', 'fd00::/8', 'loopback']],
  ] as const)('reads trustProxy: %s', (yaml, expected) => {
    const config = parseConfig(minimal(`api:\n  trustProxy: ${yaml}\n`), {});
    expect(config.api.trustProxy).toStrictEqual(expected);
  });

  it('reads trustProxy from the environment as text', () => {
    const config = parseConfig(minimal('api:\n  trustProxy: ${TRUST}\n'), { TRUST: 'true' });
    expect(config.api.trustProxy).toBe(true);
  });

  it.each([
    ['1', 'hop count'],
    ['"2"', 'hop count'],
    ['[proxy.example.com]', 'entry 0 ("proxy.example.com")'],
    ['[10.0.0.1, 10.0.0.0/33]', 'entry 1 ("10.0.0.0/33")'],
    ['[]', 'expected false, true, or a list'],
    ['{ a: 1 }', 'expected false, true, or a list'],
  ])('refuses trustProxy: %s, naming the field and the value', (yaml, said) => {
    const error = configError(() => parseConfig(minimal(`api:\n  trustProxy: ${yaml}\n`), {}));
    expect(error.issues.map((i) => i.path)).toStrictEqual(['api.trustProxy']);
    expect(error.message).toContain(said);
  });

  it('reads sessionTtl as a duration and refuses one out of range', () => {
    expect(parseConfig(minimal('api:\n  sessionTtl: 30m\n'), {}).api.sessionTtlMs).toBe(1_800_000);
    const error = configError(() => parseConfig(minimal('api:\n  sessionTtl: 90d\n'), {}));
    expect(error.issues.map((i) => i.path)).toStrictEqual(['api.sessionTtl']);
    const zero = configError(() => parseConfig(minimal('api:\n  sessionTtl: 0\n'), {}));
    expect(zero.message).toContain('at least');
  });

  it('names a bad body limit and an unknown key', () => {
    const error = configError(() => parseConfig(minimal('api: { bodyLimit: lots, tokn: x }\n'), {}));
    expect(error.issues.map((i) => i.path).sort()).toStrictEqual(['api.bodyLimit', 'api.tokn']);
  });
});

describe('tryParseByteSize', () => {
  it.each([
    ['50MB', 50 * 1024 * 1024],
    ['512 kb', 512 * 1024],
    ['1.5G', 1.5 * 1024 ** 3],
    ['2048', 2048],
    [4096, 4096],
  ])('%s', (input, bytes) => expect(tryParseByteSize(input)).toBe(bytes));

  it.each(['', 'MB', '5 parsecs', '-1', -5, 1.5, null])('refuses %s', (input) =>
    expect(tryParseByteSize(input)).toBeUndefined(),
  );
});
