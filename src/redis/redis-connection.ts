import type { Cluster, Redis } from 'ioredis';

/**
 * A connection to the dialer's Redis: one server or a Sentinel-managed primary (`Redis`), or a
 * Redis Cluster (`Cluster`). Every command the dialer sends works on both, because every key of
 * one operation shares a hash tag; what differs (duplicating, SCAN) has a helper in this folder.
 */
export type RedisConnection = Redis | Cluster;
