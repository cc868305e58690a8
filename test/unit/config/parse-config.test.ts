import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CALL_DEFAULTS,
  ConfigError,
  loadConfig,
  parseConfig,
  type DialerConfig,
} from '../../../src/config/index.js';
import { DIALER_VERSION } from '../../../src/kernel/index.js';

const PASSWORD = 'hunter2-Secret-Value';

const FULL = `
redis: redis://10.0.0.5:6380
queuePrefix: "{campaigns}"
engine: embedded
sip:
  listen: 127.0.0.1:5062
  transport: tcp
  publicAddress: 203.0.113.5
  userAgent: acme-dialer/2
  timers: { t1: 250ms, t2: 2s, t4: 4s }
media: { address: 127.0.0.1, ports: 20000-20999 }
trunks:
  - name: carrier
    proxy: 127.0.0.1:5060
    domain: carrier.test
    transport: udp
    username: dialer1
    authUsername: auth-dialer1
    password: \${CARRIER_PASSWORD}
    register: true
    registerExpires: 10m
    defaultCountry: BR
    dialFormats: [e164-digits, e164, national, { format: national, prefix: "1010#" }]
    callerId: "+5534999990000"
    headers: { X-Account: abc, X-Priority: 5 }
    cps: 2.5
    maxChannels: 40
    concurrency: 8
  - name: backup_2
    domain: backup.test
defaults:
  ringTimeout: 45s
  maxCallLength: 1h
  maxAttempts: \${MAX_ATTEMPTS:-5}
  retryDelays: { busy: 1m, noAnswer: 2m, carrierError: 10s }
shutdown: { grace: 1m30s }
log: { level: debug }
`;

/** The ConfigError `fn` throws; fails the test if it throws anything else or nothing. */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

const minimal = (extra = '') => `trunks:\n  - name: carrier\n    domain: carrier.test\n${extra}`;

describe('parseConfig', () => {
  it('reads a full configuration into typed values, durations in ms', () => {
    const config = parseConfig(FULL, { CARRIER_PASSWORD: PASSWORD });
    const expected: DialerConfig = {
      redis: 'redis://10.0.0.5:6380',
      queuePrefix: '{campaigns}',
      engine: 'embedded',
      sip: {
        listen: { host: '127.0.0.1', port: 5062 },
        transport: 'tcp',
        publicAddress: '203.0.113.5',
        userAgent: 'acme-dialer/2',
        timers: { t1Ms: 250, t2Ms: 2000, t4Ms: 4000 },
        sessionExpiresSec: 300,
        tcp: { idleTimeoutMs: 30_000, maxConnectionsPerAddress: 32, maxConnections: 1024 },
        nat: 'auto',
        keepAliveMs: 25_000,
        tls: { keepAliveMs: 30_000, keepAliveTimeoutMs: 10_000 },
      },
      media: {
        address: '127.0.0.1',
        ports: { minPort: 20000, maxPort: 20999 },
        promptsDir: './prompts',
        recordingsDir: './recordings',
        recordingsRetentionMs: 90 * 86_400_000,
        deadCallMs: 30_000,
        rtcpIntervalMs: 5_000,
      },
      trunks: [
        {
          name: 'carrier',
          proxy: '127.0.0.1:5060',
          domain: 'carrier.test',
          transport: 'udp',
          username: 'dialer1',
          authUsername: 'auth-dialer1',
          password: PASSWORD,
          register: true,
          registerExpiresSec: 600,
          defaultCountry: 'BR',
          dialFormats: [
            { format: 'e164-digits' },
            { format: 'e164' },
            { format: 'national' },
            { format: 'national', prefix: '1010#' },
          ],
          callerId: '+5534999990000',
          headers: { 'X-Account': 'abc', 'X-Priority': '5' },
          cps: 2.5,
          maxChannels: 40,
          concurrency: 8,
          authStrikes: 3,
          pAssertedIdentity: 'sip',
          media: { srtp: 'off' },
        },
        {
          name: 'backup_2',
          proxy: 'backup.test',
          domain: 'backup.test',
          transport: 'tcp',
          register: false,
          registerExpiresSec: 3600,
          dialFormats: [{ format: 'e164' }],
          headers: {},
          cps: 10,
          maxChannels: 30,
          concurrency: 30,
          authStrikes: 3,
          pAssertedIdentity: 'sip',
          media: { srtp: 'off' },
        },
      ],
      defaults: {
        ringTimeoutMs: 45_000,
        maxCallLengthMs: 3_600_000,
        maxAttempts: 5,
        retryDelays: { busyMs: 60_000, noAnswerMs: 120_000, carrierErrorMs: 10_000, machineMs: 14_400_000 },
      },
      shutdown: { graceMs: 90_000 },
      workers: {
        lockDurationMs: 30_000,
        stalledIntervalMs: 30_000,
        fenceMarginMs: 60_000,
        leaseTtlMs: 5_000,
        orphanSweepIntervalMs: 1_000,
      },
      log: { level: 'debug' },
      api: {
        listen: { host: '127.0.0.1', port: 8080 },
        tokens: [],
        bodyLimitBytes: 50 * 1024 * 1024,
        requestTimeoutMs: 300_000,
        headersTimeoutMs: 10_000,
        keepAliveTimeoutMs: 5_000,
        idleTimeoutMs: 120_000,
        maxFailedLogins: 10,
        maxWaiters: 1000,
        trustProxy: false,
        sessionTtlMs: 8 * 3_600_000,
      },
    };
    expect(config).toStrictEqual(expected);
  });

  it('applies every default to a minimal file', () => {
    const config = parseConfig(minimal(), {});
    expect(config).toStrictEqual({
      redis: 'redis://127.0.0.1:6379',
      queuePrefix: '{dialer}',
      engine: 'embedded',
      sip: {
        listen: { host: '0.0.0.0', port: 5060 },
        transport: 'udp',
        userAgent: `sip-dialer/${DIALER_VERSION}`,
        timers: { t1Ms: 500, t2Ms: 4000, t4Ms: 5000 },
        sessionExpiresSec: 300,
        tcp: { idleTimeoutMs: 30_000, maxConnectionsPerAddress: 32, maxConnections: 1024 },
        nat: 'auto',
        keepAliveMs: 25_000,
        tls: { keepAliveMs: 30_000, keepAliveTimeoutMs: 10_000 },
      },
      media: {
        address: '0.0.0.0',
        ports: { minPort: 20000, maxPort: 20999 },
        promptsDir: './prompts',
        recordingsDir: './recordings',
        recordingsRetentionMs: 90 * 86_400_000,
        deadCallMs: 30_000,
        rtcpIntervalMs: 5_000,
      },
      trunks: [
        {
          name: 'carrier',
          proxy: 'carrier.test',
          domain: 'carrier.test',
          transport: 'udp',
          register: false,
          registerExpiresSec: 3600,
          dialFormats: [{ format: 'e164' }],
          headers: {},
          cps: 10,
          maxChannels: 30,
          concurrency: 30,
          authStrikes: 3,
          pAssertedIdentity: 'sip',
          media: { srtp: 'off' },
        },
      ],
      defaults: {
        ringTimeoutMs: 30_000,
        maxCallLengthMs: 600_000,
        maxAttempts: 3,
        retryDelays: { busyMs: 300_000, noAnswerMs: 900_000, carrierErrorMs: 30_000, machineMs: 14_400_000 },
      },
      shutdown: { graceMs: 30_000 },
      workers: {
        lockDurationMs: 30_000,
        stalledIntervalMs: 30_000,
        fenceMarginMs: 60_000,
        leaseTtlMs: 5_000,
        orphanSweepIntervalMs: 1_000,
      },
      log: { level: 'info' },
      api: {
        listen: { host: '127.0.0.1', port: 8080 },
        tokens: [],
        bodyLimitBytes: 50 * 1024 * 1024,
        requestTimeoutMs: 300_000,
        headersTimeoutMs: 10_000,
        keepAliveTimeoutMs: 5_000,
        idleTimeoutMs: 120_000,
        maxFailedLogins: 10,
        maxWaiters: 1000,
        trustProxy: false,
        sessionTtlMs: 8 * 3_600_000,
      },
    } satisfies DialerConfig);
  });

  it('substitutes ${VAR} inside strings, uses :- defaults, and keeps $${ literal', () => {
    const config = parseConfig(
      'redis: redis://${REDIS_HOST}:${REDIS_PORT:-6379}\n' +
        'sip: { userAgent: "ua-$${x}-${EMPTY:-fallback}" }\n' +
        minimal('    cps: ${CPS}\n'),
      { REDIS_HOST: 'redis.internal', EMPTY: '', CPS: '3' },
    );
    expect(config.redis).toBe('redis://redis.internal:6379');
    expect(config.sip.userAgent).toBe('ua-${x}-fallback');
    expect(config.trunks[0]?.cps).toBe(3);
  });

  it('keeps learnCarrierLimit when set, and leaves it out (the limiter default) when not', () => {
    expect(parseConfig(minimal('    learnCarrierLimit: false\n'), {}).trunks[0]!.learnCarrierLimit).toBe(
      false,
    );
    expect(parseConfig(minimal(), {}).trunks[0]).not.toHaveProperty('learnCarrierLimit');
  });

  it('is deeply frozen', () => {
    const config = parseConfig(minimal('    headers: { X-A: b }\n'), {});
    expect(Object.isFrozen(config)).toBe(true);
    // Strict mode (ESM) turns writes to frozen objects into TypeErrors.
    expect(() => {
      (config as { engine: string }).engine = 'drachtio';
    }).toThrow(TypeError);
    expect(() => {
      (config.trunks[0]!.headers as Record<string, string>)['X-A'] = 'c';
    }).toThrow(TypeError);
    expect(() => {
      (config.trunks as unknown[]).push({});
    }).toThrow(TypeError);
    expect(() => {
      (config.sip.timers as { t1Ms: number }).t1Ms = 1;
    }).toThrow(TypeError);
  });

  it('takes the drachtio section from DRACHTIO_URL when the file leaves it out', () => {
    const config = parseConfig(`engine: drachtio\n${minimal()}`, {
      DRACHTIO_URL: 'drachtio://:cymru@10.1.1.1:9023',
    });
    expect(config.drachtio).toStrictEqual({ host: '10.1.1.1', port: 9023, secret: 'cymru', tls: 'refuse' });
  });

  it('requires a drachtio section for engine: drachtio', () => {
    const error = configError(() => parseConfig(`engine: drachtio\n${minimal()}`, {}));
    expect(error.issues.map((issue) => issue.path)).toStrictEqual(['drachtio']);
  });
});

describe('parseConfig errors name the key path', () => {
  const cases: Array<[string, string, string, RegExp]> = [
    ['an unknown key', minimal('    pasword: x\n'), 'trunks[0].pasword', /unknown key/],
    ['an unknown top-level key', `engin: drachtio\n${minimal()}`, 'engin', /unknown key/],
    [
      'a reversed port range',
      `media: { ports: 20999-20000 }\n${minimal()}`,
      'media.ports',
      /below.*"20999-20000"/,
    ],
    ['a privileged port range', `media: { ports: 80-2000 }\n${minimal()}`, 'media.ports', /1024 to 65535/],
    [
      'a duplicate trunk name',
      `${minimal()}  - name: carrier\n    domain: other.test\n`,
      'trunks[1].name',
      /duplicate trunk name/,
    ],
    [
      'a bad dial format',
      minimal('    dialFormats: [e164, international]\n'),
      'trunks[0].dialFormats[1]',
      /"international"/,
    ],
    [
      'national with the country trunk prefix again',
      minimal('    defaultCountry: DE\n    dialFormats: [{ format: national, prefix: "0" }]\n'),
      'trunks[0].dialFormats[0].prefix',
      /already includes DE's trunk prefix 0.*national-significant/,
    ],
    [
      'CR/LF in callerId',
      minimal('    callerId: "+55\\r\\nVia: evil"\n'),
      'trunks[0].callerId',
      /CR, LF or NUL/,
    ],
    ['a bad header name', minimal('    headers: { "X Bad": v }\n'), 'trunks[0].headers.X Bad', /token/],
    [
      'a learnCarrierLimit that is not a boolean',
      minimal('    learnCarrierLimit: sometimes\n'),
      'trunks[0].learnCarrierLimit',
      /sometimes|boolean|true or false/,
    ],
    [
      'an unquoted callerId read as a number',
      minimal('    callerId: +5534999990000\n'),
      'trunks[0].callerId',
      /quote/,
    ],
    ['a bad listen address', `sip: { listen: "localhost" }\n${minimal()}`, 'sip.listen', /host:port/],
    [
      'a bad duration',
      `defaults: { ringTimeout: 30 seconds }\n${minimal()}`,
      'defaults.ringTimeout',
      /"30 seconds"/,
    ],
    ['a lower-case country', minimal('    defaultCountry: br\n'), 'trunks[0].defaultCountry', /upper case/],
    ['register without a username', minimal('    register: true\n'), 'trunks[0].username', /register/],
    ['no trunks', 'engine: embedded\n', 'trunks', /at least one trunk/],
    [
      'a missing env var',
      minimal('    username: ${TRUNK_USER}\n'),
      'trunks[0].username',
      /TRUNK_USER is not set/,
    ],
  ];

  it.each(cases)('%s', (_name, yaml, path, message) => {
    const error = configError(() => parseConfig(yaml, {}));
    expect(error.code).toBe('CONFIG_INVALID');
    const issue = error.issues.find((candidate) => candidate.path === path);
    expect(issue, `issues: ${JSON.stringify(error.issues)}`).toBeDefined();
    expect(issue?.message).toMatch(message);
    expect(error.message).toContain(`${path}: ${issue?.message}`);
  });

  // A worker that dies between a 2xx and its ACK leaves the callee connected while the carrier
  // resends the 2xx for 64·T1; a fence that lapses sooner lets a re-run job ring the number twice.
  it('reads defaults.retryDelays.machine (4h when left out; CALL_DEFAULTS holds the same) and names it when bad', () => {
    expect(parseConfig(minimal(), {}).defaults.retryDelays.machineMs).toBe(14_400_000);
    expect(CALL_DEFAULTS).toStrictEqual(parseConfig(minimal(), {}).defaults);
    const set = parseConfig(`defaults: { retryDelays: { machine: 90m } }\n${minimal()}`, {});
    expect(set.defaults.retryDelays.machineMs).toBe(5_400_000);
    const error = configError(() =>
      parseConfig(`defaults: { retryDelays: { machine: soon } }\n${minimal()}`, {}),
    );
    expect(error.issues.map((issue) => issue.path)).toStrictEqual(['defaults.retryDelays.machine']);
  });

  it('reads media.recordingsRetention (90d when left out, 0 keeps for ever) and refuses one that would sweep the prompts', () => {
    expect(parseConfig(minimal(), {}).media.recordingsRetentionMs).toBe(90 * 86_400_000);
    expect(
      parseConfig(`media: { recordingsRetention: 0 }\n${minimal()}`, {}).media.recordingsRetentionMs,
    ).toBe(0);
    const short = configError(() => parseConfig(`media: { recordingsRetention: 10m }\n${minimal()}`, {}));
    expect(short.issues).toStrictEqual([
      {
        path: 'media.recordingsRetention',
        message: expect.stringMatching(/0 \(keep for ever\) or at least 1h/),
      },
    ]);
    const shared = configError(() =>
      parseConfig(`media: { prompts: ./audio, recordings: audio/ }\n${minimal()}`, {}),
    );
    expect(shared.issues).toStrictEqual([
      { path: 'media.recordingsRetention', message: expect.stringMatching(/the sweep would delete prompts/) },
    ]);
    const kept = parseConfig(
      `media: { prompts: ./audio, recordings: audio/, recordingsRetention: 0 }\n${minimal()}`,
      {},
    );
    expect(kept.media.recordingsDir).toBe('audio/');
  });

  it('refuses a workers.fenceMargin below 64·T1, naming the field and the value', () => {
    const error = configError(() => parseConfig(`workers: { fenceMargin: 2s }\n${minimal()}`, {}));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.issues).toStrictEqual([
      { path: 'workers.fenceMargin', message: expect.stringMatching(/^is 2s; must be at least 32s \(64·T1/) },
    ]);
    expect(error.message).toContain('workers.fenceMargin: is 2s');
    const justBelow = configError(() => parseConfig(`workers: { fenceMargin: 31999ms }\n${minimal()}`, {}));
    expect(justBelow.issues.map((issue) => issue.path)).toStrictEqual(['workers.fenceMargin']);
    const atFloor = parseConfig(`workers: { fenceMargin: 32s }\n${minimal()}`, {});
    expect(atFloor.workers.fenceMarginMs).toBe(32_000);
  });

  it('keeps the fence margin floor at 64 × the RFC T1 when our own T1 is shorter, and raises it with a longer T1', () => {
    // Our T1 does not set the carrier's: it may still resend for 64 × 500 ms.
    const shortT1 = configError(() =>
      parseConfig(`sip: { timers: { t1: 100ms } }\nworkers: { fenceMargin: 10s }\n${minimal()}`, {}),
    );
    expect(shortT1.issues.map((issue) => issue.message)).toStrictEqual([
      expect.stringMatching(/^is 10s; must be at least 32s/),
    ]);
    const longT1 = configError(() => parseConfig(`sip: { timers: { t1: 1s, t2: 4s } }\n${minimal()}`, {}));
    expect(longT1.issues).toStrictEqual([
      { path: 'workers.fenceMargin', message: expect.stringMatching(/^is 60s; must be at least 64s/) },
    ]);
  });

  it('refuses trunk headers the SIP engine writes itself, Route included (the engine would refuse every call)', () => {
    for (const name of ['Route', 'Call-ID', 'Proxy-Authorization']) {
      const error = configError(() => parseConfig(minimal(`    headers: { ${name}: x }\n`), {}));
      expect(error.issues.map((i) => i.path)).toContain(`trunks[0].headers.${name}`);
    }
  });

  it('refuses compact forms of those headers, unknown one-letter names and a header named twice', () => {
    for (const name of ['i', 'v', 'f', 't', 'm', 'c', 'l', 'k', 'I', 'w']) {
      const error = configError(() => parseConfig(minimal(`    headers: { ${name}: x }\n`), {}));
      const issue = error.issues.find((i) => i.path === `trunks[0].headers.${name}`);
      expect(issue?.message, name).toMatch(/compact form|reserved/);
    }
    const error = configError(() => parseConfig(minimal('    headers: { Subject: a, S: b }\n'), {}));
    expect(error.issues.find((i) => i.path === 'trunks[0].headers.S')?.message).toMatch(
      /same header as Subject/,
    );
    expect(parseConfig(minimal('    headers: { s: a, X-I: b }\n'), {}).trunks[0]?.headers).toEqual({
      s: 'a',
      'X-I': 'b',
    });
  });

  it('lists every problem at once', () => {
    const error = configError(() =>
      parseConfig(`log: { level: loud }\nmedia: { ports: 1-2 }\n${minimal('    cps: 0\n')}`, {}),
    );
    expect(error.issues.map((issue) => issue.path).sort()).toStrictEqual([
      'log.level',
      'media.ports',
      'trunks[0].cps',
    ]);
  });

  it('names the YAML line of a syntax error', () => {
    const error = configError(() => parseConfig('trunks:\n  - name: a\n    domain: [b\n', {}));
    expect(error.issues[0]?.path).toMatch(/^\(yaml line \d+, column \d+\)$/);
  });
});

describe('secrets never appear in an error', () => {
  const secretCases: Array<[string, string, NodeJS.ProcessEnv]> = [
    ['a password of the wrong type', minimal('    username: u\n    password: [hunter2-Secret-Value]\n'), {}],
    ['a misspelt password key', minimal(`    username: u\n    pasword: ${PASSWORD}\n`), {}],
    [
      'a password with a typo elsewhere',
      minimal(`    username: u\n    password: ${PASSWORD}\n    cps: x\n`),
      {},
    ],
    ['a password in the redis URL', `redis: "redis://:${PASSWORD}@host:notaport"\n${minimal()}`, {}],
    [
      'a drachtio secret',
      `engine: drachtio\ndrachtio: { host: "bad host", secret: ${PASSWORD} }\n${minimal()}`,
      {},
    ],
    ['a bad DRACHTIO_URL', `engine: drachtio\n${minimal()}`, { DRACHTIO_URL: `http://${PASSWORD}` }],
    [
      'a password in a header named like a token',
      minimal(`    headers: { X-Token: "${PASSWORD}\\n" }\n`),
      {},
    ],
    ['a password on a YAML syntax error line', minimal(`    password: "${PASSWORD}\n`), {}],
  ];

  it.each(secretCases)('%s', (_name, yaml, env) => {
    const error = configError(() => parseConfig(yaml, env));
    expect(error.issues.length).toBeGreaterThan(0);
    expect(error.message).not.toContain(PASSWORD);
    expect(JSON.stringify(error.issues)).not.toContain(PASSWORD);
  });

  it('says [redacted] where it would have shown a secret', () => {
    const error = configError(() => parseConfig(minimal('    username: u\n    password: 123456\n'), {}));
    expect(error.message).toContain('trunks[0].password: expected a string');
    expect(error.message).toContain('[redacted]');
    expect(error.message).not.toContain('123456');
  });

  it('substitutes a secret from the environment without echoing it when another key is wrong', () => {
    const error = configError(() =>
      parseConfig(minimal('    username: u\n    password: ${PW}\n    maxChannels: -1\n'), { PW: PASSWORD }),
    );
    expect(error.issues.map((issue) => issue.path)).toStrictEqual(['trunks[0].maxChannels']);
    expect(error.message).not.toContain(PASSWORD);
  });
});

describe('loadConfig', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dialer-config-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads the file named by path, else DIALER_CONFIG', async () => {
    const file = join(dir, 'dialer.yaml');
    await writeFile(file, minimal('    cps: ${CPS}\n'));
    expect((await loadConfig({ path: file, env: { CPS: '4' } })).trunks[0]?.cps).toBe(4);
    expect((await loadConfig({ env: { DIALER_CONFIG: file, CPS: '6' } })).trunks[0]?.cps).toBe(6);
  });

  it('names --config when no file is given', async () => {
    await expect(loadConfig({ env: {} })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      issues: [{ path: '--config' }],
    });
  });

  it('names the file that cannot be read', async () => {
    const file = join(dir, 'missing.yaml');
    const error = await loadConfig({ path: file, env: {} }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain(file);
    expect((error as ConfigError).message).toContain('ENOENT');
  });
});
