import type { RedisNode, RedisTarget } from '../kernel/index.js';

/**
 * Where a Redis target points, fit for a log line or an error: `host:port` for a URL, the master
 * group and its sentinels for a Sentinel group (`mymaster via 10.0.0.1:26379,10.0.0.2:26379`),
 * the seed nodes for a cluster (`cluster 10.0.0.1:7000,…`); with the ACL user when one is named
 * (a mistyped user is a common cause of a refused login), never a password.
 */
export function redisEndpoint(target: RedisTarget): string {
  if (typeof target !== 'string') {
    const user = target.username === undefined ? '' : `${target.username}@`;
    if ('sentinels' in target) return `${user}${target.name} via ${nodeList(target.sentinels)}`;
    return `${user}cluster ${nodeList(target.cluster)}`;
  }
  if (!URL.canParse(target)) return '(unparsable Redis URL)';
  const parsed = new URL(target);
  const where = `${parsed.hostname}:${parsed.port || '6379'}`;
  return parsed.username === '' ? where : `${decodeURIComponent(parsed.username)}@${where}`;
}

function nodeList(nodes: readonly RedisNode[]): string {
  return nodes
    .map(({ host, port }) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`))
    .join(',');
}
