import type { Cluster, Redis } from 'ioredis';
import type { RedisConnection } from './redis-connection.js';

/**
 * SCAN for keys matching `match`, in batches. On a Cluster, SCAN would go to one node picked at
 * random, which may not own the slot of the keys looked for: every master is scanned instead.
 */
export async function* scanKeys(
  redis: RedisConnection,
  match: string,
  count: number,
): AsyncGenerator<string[]> {
  const nodes: Redis[] = redis.isCluster ? (redis as Cluster).nodes('master') : [redis as Redis];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, found] = await node.scan(cursor, 'MATCH', match, 'COUNT', count);
      cursor = next;
      if (found.length > 0) yield found;
    } while (cursor !== '0');
  }
}
