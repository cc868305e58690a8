import type { RedisTarget } from '../kernel/index.js';
import { redactRedisUrl } from './redact-redis-url.js';
import { redisEndpoint } from './redis-endpoint.js';

/**
 * A Redis target for an error message: a URL as written with its password shown as `***`, a
 * Sentinel group as `sentinel group mymaster via host:port,…`, a cluster as `cluster host:port,…`.
 * Sentinel and cluster passwords are separate fields and never part of the text.
 */
export function describeRedisTarget(target: RedisTarget): string {
  if (typeof target === 'string') return redactRedisUrl(target);
  return 'sentinels' in target ? `sentinel group ${redisEndpoint(target)}` : redisEndpoint(target);
}
