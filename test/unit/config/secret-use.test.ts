import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../../src/config/index.js';

// One file shared by every process, as deploy/dialer.yaml is: each secret a variable.
const SHARED = `redis: redis://:\${REDIS_PASSWORD}@127.0.0.1:6379
engine: drachtio
drachtio:
  host: drachtio
  port: 9022
  secret: \${DRACHTIO_SECRET}
media:
  address: \${MEDIA_ADDRESS:-127.0.0.1}
callbacks:
  secret: \${CALLBACK_SECRET}
api:
  token: \${API_TOKEN}
  tokens:
    - name: wallboard
      token: \${VIEWER_TOKEN}
      role: viewer
trunks:
  - name: carrier
    domain: carrier.test
    username: dialer1
    password: \${CARRIER_PASSWORD}
  - name: backup
    domain: backup.test
    username: dialer1
    password: \${BACKUP_PASSWORD}
`;
const ALL = {
  REDIS_PASSWORD: 'redis-secret-0123456789',
  DRACHTIO_SECRET: 'drachtio-secret-0123',
  CALLBACK_SECRET: 'callback-secret-0123456789',
  API_TOKEN: 'api-token-0123456789abcdef',
  VIEWER_TOKEN: 'viewer-token-0123456789ab',
  CARRIER_PASSWORD: 'carrier-secret',
  BACKUP_PASSWORD: 'backup-secret',
};
const only = (...names: (keyof typeof ALL)[]): Record<string, string> =>
  Object.fromEntries(names.map((n) => [n, ALL[n]]));

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((i) => `${i.path}: ${i.message}`);
    throw error;
  }
  return [];
}

describe('each process needs only its own secrets', () => {
  it('a producer (dialer call, campaign, dnc, outcome) needs Redis only', () => {
    const config = parseConfig(SHARED, only('REDIS_PASSWORD'), { secrets: [] });
    expect(config.redis).toBe(`redis://:${ALL.REDIS_PASSWORD}@127.0.0.1:6379`);
    // Stand-ins, never the empty string, never one another: they match nothing anywhere.
    const standIns = [
      config.trunks[0]?.password,
      config.trunks[1]?.password,
      config.drachtio?.secret,
      config.callbacks?.secret,
      config.api.token,
    ];
    for (const s of standIns) expect(s).toMatch(/^unloaded-[0-9a-f]{48}$/);
    expect(new Set(standIns).size).toBe(standIns.length);
  });

  it('a worker needs the trunks, the engine and the callbacks, not the API tokens', () => {
    const env = only(
      'REDIS_PASSWORD',
      'DRACHTIO_SECRET',
      'CALLBACK_SECRET',
      'CARRIER_PASSWORD',
      'BACKUP_PASSWORD',
    );
    const config = parseConfig(SHARED, env, { secrets: ['trunks', 'engine', 'callbacks'] });
    expect(config.trunks.map((t) => t.password)).toEqual([ALL.CARRIER_PASSWORD, ALL.BACKUP_PASSWORD]);
    expect(config.callbacks?.secret).toBe(ALL.CALLBACK_SECRET);
    expect(
      problems(() => parseConfig(SHARED, { ...env, BACKUP_PASSWORD: undefined }, { secrets: ['trunks'] })),
    ).toEqual(['trunks[1].password: environment variable BACKUP_PASSWORD is not set']);
  });

  it('the API server needs its tokens, not the trunk passwords', () => {
    const config = parseConfig(SHARED, only('REDIS_PASSWORD', 'API_TOKEN', 'VIEWER_TOKEN'), {
      secrets: ['api'],
    });
    expect(config.api.tokens.map((t) => [t.name, t.token])).toEqual([
      ['api.token', ALL.API_TOKEN],
      ['wallboard', ALL.VIEWER_TOKEN],
    ]);
    expect(
      problems(() => parseConfig(SHARED, only('REDIS_PASSWORD', 'API_TOKEN'), { secrets: ['api'] })),
    ).toEqual(['api.tokens[0].token: environment variable VIEWER_TOKEN is not set']);
  });

  it('still names every unset variable when all secrets are used (the default), and any that is not a secret', () => {
    expect(problems(() => parseConfig(SHARED, {}))).toEqual([
      'redis: environment variable REDIS_PASSWORD is not set',
      'drachtio.secret: environment variable DRACHTIO_SECRET is not set',
      'callbacks.secret: environment variable CALLBACK_SECRET is not set',
      'api.token: environment variable API_TOKEN is not set',
      'api.tokens[0].token: environment variable VIEWER_TOKEN is not set',
      'trunks[0].password: environment variable CARRIER_PASSWORD is not set',
      'trunks[1].password: environment variable BACKUP_PASSWORD is not set',
    ]);
    const notSecret = SHARED.replace('${MEDIA_ADDRESS:-127.0.0.1}', '${MEDIA_ADDRESS}');
    expect(problems(() => parseConfig(notSecret, only('REDIS_PASSWORD'), { secrets: [] }))).toEqual([
      'media.address: environment variable MEDIA_ADDRESS is not set',
    ]);
  });
});
