import { describe, expect, it } from 'vitest';
import { redactRedisUrl } from '../../../src/redis/index.js';

describe('redactRedisUrl', () => {
  it('masks the password and keeps everything else', () => {
    expect(redactRedisUrl('redis://:hunter2@10.0.0.5:6379')).toBe('redis://:***@10.0.0.5:6379');
    expect(redactRedisUrl('rediss://app:p%40ss@redis.internal:6380/2')).toBe(
      'rediss://app:***@redis.internal:6380/2',
    );
  });

  it('leaves a URL without a password as it is', () => {
    expect(redactRedisUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(redactRedisUrl('redis://app@127.0.0.1:6379')).toBe('redis://app@127.0.0.1:6379');
  });

  it('masks a password given in the query, as ioredis accepts it', () => {
    expect(redactRedisUrl('redis://127.0.0.1:6379/0?password=s3cretpw')).toBe(
      'redis://127.0.0.1:6379/0?password=***',
    );
    expect(redactRedisUrl('redis://:a@h:1/0?db=1&password=b')).toBe('redis://:***@h:1/0?db=1&password=***');
    expect(redactRedisUrl('redis://bad host:1/?password=s3cret')).not.toContain('s3cret');
  });

  it('masks a password even in a URL the parser refuses', () => {
    expect(redactRedisUrl('redis://:sec ret@bad host:6379')).toBe('redis://:***@bad host:6379');
  });
});
