import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../../src/config/index.js';
import { createLogger } from '../../../src/log/index.js';

// Distinctive values: a hit can only be a leak.
const DATA_PASSWORD = 'Sentinel-Data-Pw-6d1f0a';
const SENTINEL_PASSWORD = 'Sentinel-Own-Pw-93b7c2';
const CLUSTER_PASSWORD = 'Cluster-Pw-2e8a41';

const REST = `sip: { listen: 127.0.0.1:5062 }
media: { address: 127.0.0.1, ports: 20000-20099 }
trunks: [{ name: carrier, proxy: 127.0.0.1:5060, domain: carrier.test }]
`;

function parse(redis: string, env: Record<string, string> = {}) {
  return parseConfig(`redis: ${redis}\n${REST}`, env);
}

function issuesOf(redis: string, env: Record<string, string> = {}): string[] {
  try {
    parse(redis, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((i) => `${i.path}: ${i.message}`);
    throw error;
  }
  throw new Error('expected the config to be refused');
}

describe('redis: as a Sentinel group or a cluster', () => {
  it('reads a Sentinel group, secrets and db from the environment', () => {
    const config = parse(
      `{ sentinels: ["10.0.0.1:26379", "[fd00::2]:26380"], name: mymaster, username: dialer,
         password: "\${REDIS_PASSWORD}", sentinelPassword: "\${SENTINEL_PASSWORD}", db: "\${REDIS_DB}" }`,
      { REDIS_PASSWORD: DATA_PASSWORD, SENTINEL_PASSWORD, REDIS_DB: '2' },
    );
    expect(config.redis).toEqual({
      sentinels: [
        { host: '10.0.0.1', port: 26379 },
        { host: 'fd00::2', port: 26380 },
      ],
      name: 'mymaster',
      username: 'dialer',
      password: DATA_PASSWORD,
      sentinelPassword: SENTINEL_PASSWORD,
      db: 2,
      waitReplicas: 1,
      waitTimeoutMs: 1000,
    });
    const strict = parse(`{ sentinels: ["h:1"], name: m, waitReplicas: 2, waitTimeout: 250ms }`).redis;
    expect(strict).toMatchObject({ waitReplicas: 2, waitTimeoutMs: 250 });
    expect(parse(`{ sentinels: ["h:1"], name: m, waitReplicas: 0 }`).redis).toMatchObject({
      waitReplicas: 0,
    });
  });

  it('reads a cluster seed list, leaving out what is not given', () => {
    expect(parse(`{ cluster: ["10.0.0.1:7000", "10.0.0.2:7000"] }`).redis).toEqual({
      cluster: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 7000 },
      ],
    });
    expect(parse(`{ cluster: ["h:7000"], password: "\${P}" }`, { P: CLUSTER_PASSWORD }).redis).toEqual({
      cluster: [{ host: 'h', port: 7000 }],
      password: CLUSTER_PASSWORD,
    });
  });

  it('keeps the URL form and its default', () => {
    expect(parse('redis://10.0.0.5:6380').redis).toBe('redis://10.0.0.5:6380');
    expect(parseConfig(REST, {}).redis).toBe('redis://127.0.0.1:6379');
  });

  it('names the field and the value of each mistake', () => {
    expect(issuesOf(`{ sentinels: ["10.0.0.1:26379", "nohostport"], name: mymaster }`)).toEqual([
      'redis.sentinels[1]: expected host:port (IPv6 as "[::1]:5060", quoted in YAML) (got "nohostport")',
    ]);
    expect(issuesOf(`{ sentinels: [], name: "my master" }`)).toEqual([
      'redis.sentinels: expected at least one sentinel (host:port) (got a list)',
      'redis.name: expected a master group name without spaces (got "my master")',
    ]);
    expect(issuesOf(`{ sentinels: ["h:1"] }`)).toEqual(['redis.name: is required']);
    expect(issuesOf(`{ sentinels: ["h:1"], name: m, db: -1 }`)).toEqual([
      'redis.db: expected a whole number from 0 to 1000000 (got -1)',
    ]);
    expect(issuesOf(`{ cluster: ["h:70000"] }`)).toEqual([
      'redis.cluster[0]: port must be from 1 to 65535 (got "h:70000")',
    ]);
    expect(issuesOf(`{ cluster: ["h:7000"], db: 1 }`)).toEqual(['redis.db: unknown key']);
    // A prefix that is not one hash tag: every two-key script would be refused by the cluster.
    for (const prefix of ['dialer', 'a{dialer}', '{a}{b}'])
      expect(issuesOf(`{ cluster: ["h:7000"] }\nqueuePrefix: "${prefix}"`)).toEqual([
        `queuePrefix: on a Redis Cluster must be one hash tag in braces, such as "{dialer}" (got "${prefix}")`,
      ]);
    expect(parse(`{ cluster: ["h:7000"] }\nqueuePrefix: "{acme}"`).queuePrefix).toBe('{acme}');
    expect(parse(`redis://h:1\nqueuePrefix: "dialer"`).queuePrefix).toBe('dialer');
    expect(issuesOf(`{ cluster: ["h:7000"], sentinels: ["h:1"], name: m }`)).toEqual([
      'redis: set either sentinels or cluster, not both (got a mapping)',
    ]);
    expect(issuesOf(`{ host: h }`)).toEqual([
      'redis: expected a redis:// or rediss:// URL, a Sentinel group { sentinels: [host:port, ...], name } or a cluster { cluster: [host:port, ...] } (got a mapping)',
    ]);
    expect(issuesOf(`http://h:1`)).toEqual([
      'redis: expected a redis:// or rediss:// URL (got "http://h:1")',
    ]);
  });

  it('never shows a password it refuses, nor the value under a misspelt key', () => {
    const issues = issuesOf(
      `{ sentinels: ["h:1"], name: m, password: 12345, sentinelPassword: [x], sentinelPasword: "${SENTINEL_PASSWORD}" }`,
    ).join('\n');
    expect(issues).toContain('redis.password: expected a string (quote it in YAML) (got [redacted])');
    expect(issues).toContain('redis.sentinelPassword: expected a string (got [redacted])');
    expect(issues).toContain('redis.sentinelPasword: unknown key');
    expect(issues).not.toContain('12345');
    expect(issues).not.toContain(SENTINEL_PASSWORD);
  });

  it('never lets a Sentinel or cluster password reach a log line, even with the config logged whole', () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', destination: { write: (s: string) => void lines.push(s) } });
    const sentinel = parse(
      `{ sentinels: ["h:1"], name: m, password: "${DATA_PASSWORD}", sentinelPassword: "${SENTINEL_PASSWORD}" }`,
    );
    const cluster = parse(`{ cluster: ["h:7000"], password: "${CLUSTER_PASSWORD}" }`);
    logger.info({ config: sentinel }, 'sentinel config');
    logger
      .child({ redis: cluster.redis })
      .info({ nested: { deeper: { config: cluster } } }, 'cluster config');
    const text = lines.join('');
    for (const secret of [DATA_PASSWORD, SENTINEL_PASSWORD, CLUSTER_PASSWORD])
      expect(text).not.toContain(secret);
    expect(text).toContain('"name":"m"');
    expect(text).toContain('"port":7000');
  });
});
