import type { RedisTarget } from '../kernel/index.js';

/**
 * True for a target (a URL, a Sentinel group, a cluster's seeds), false for a connection someone
 * made: a target is a string or a plain object, an ioredis `Redis` or `Cluster` is neither.
 */
export function isRedisTarget(value: unknown): value is RedisTarget {
  if (typeof value === 'string') return true;
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return (proto === Object.prototype || proto === null) && ('sentinels' in value || 'cluster' in value);
}
