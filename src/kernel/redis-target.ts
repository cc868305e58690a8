/** One Redis server or Sentinel, as the config names it. */
export interface RedisNode {
  readonly host: string;
  readonly port: number;
}

/**
 * A Sentinel-managed primary: the sentinels are asked which server is the primary of `name`,
 * and asked again after a failover.
 */
export interface RedisSentinelTarget {
  readonly sentinels: readonly RedisNode[];
  /** The master group name the sentinels monitor (`sentinel monitor <name> ...`). */
  readonly name: string;
  /** The data servers' password (primary and replicas). */
  readonly password?: string;
  /** The data servers' ACL user. */
  readonly username?: string;
  /** The sentinels' own password, when they have `requirepass`. */
  readonly sentinelPassword?: string;
  readonly db?: number;
  /**
   * Replicas that must have every fence and attempt write before the call goes on (Redis WAIT):
   * replication is asynchronous, so a failover can lose writes the primary acknowledged, and a
   * lost fence can ring a number twice. 0 turns it off.
   */
  readonly waitReplicas?: number;
  /** How long a WAIT may hold a call; past it the call goes on and a warning is logged. */
  readonly waitTimeoutMs?: number;
}

/** A Redis Cluster, reached through any of its seed nodes (the others are discovered). */
export interface RedisClusterTarget {
  readonly cluster: readonly RedisNode[];
  readonly password?: string;
  readonly username?: string;
}

/**
 * Where the dialer's Redis is: a `redis://` or `rediss://` URL (one server), a Sentinel group or
 * a cluster's seed nodes. Here and not in `redis/` because the config, which may not import
 * `redis/`, produces it.
 */
export type RedisTarget = string | RedisSentinelTarget | RedisClusterTarget;
