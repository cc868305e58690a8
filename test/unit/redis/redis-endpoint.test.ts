import { describe, expect, it } from 'vitest';
import { describeRedisTarget, isRedisTarget, redisEndpoint } from '../../../src/redis/index.js';

const SENTINEL = {
  sentinels: [
    { host: '10.0.0.1', port: 26379 },
    { host: 'fd00::2', port: 26380 },
  ],
  name: 'mymaster',
  username: 'dialer',
  password: 'data-pw-1',
  sentinelPassword: 'sentinel-pw-2',
};
const CLUSTER = { cluster: [{ host: '10.0.0.1', port: 7000 }], password: 'cluster-pw-3' };

describe('naming a Redis target in logs and errors', () => {
  it('gives host:port (and the ACL user) of a URL, never its password', () => {
    expect(redisEndpoint('redis://app:pw@10.0.0.5:6380/1')).toBe('app@10.0.0.5:6380');
    expect(describeRedisTarget('redis://app:pw@10.0.0.5:6380/1')).toBe('redis://app:***@10.0.0.5:6380/1');
  });

  it('gives the master group and its sentinels, or the cluster seeds, never a password', () => {
    expect(redisEndpoint(SENTINEL)).toBe('dialer@mymaster via 10.0.0.1:26379,[fd00::2]:26380');
    expect(describeRedisTarget(SENTINEL)).toBe(
      'sentinel group dialer@mymaster via 10.0.0.1:26379,[fd00::2]:26380',
    );
    expect(redisEndpoint(CLUSTER)).toBe('cluster 10.0.0.1:7000');
    expect(describeRedisTarget(CLUSTER)).toBe('cluster 10.0.0.1:7000');
  });

  it('tells a target from a connection', () => {
    expect(isRedisTarget('redis://h')).toBe(true);
    expect(isRedisTarget(SENTINEL)).toBe(true);
    expect(isRedisTarget(CLUSTER)).toBe(true);
    expect(isRedisTarget({ host: 'h' })).toBe(false);
    expect(
      isRedisTarget(
        new (class {
          cluster = [];
        })(),
      ),
    ).toBe(false);
  });
});
