import type { RedisConnection } from '../redis/index.js';
import type { DialerKeys } from '../kernel/index.js';

/** What producers need to know about a trunk to validate and shape a job. No secrets. */
export interface TrunkInfo {
  readonly name: string;
  readonly domain: string;
  readonly defaultCountry?: string;
  readonly callerId?: string;
  /** The caller IDs the carrier lets this trunk present; absent: any. */
  readonly allowedCallerIds?: readonly string[];
  readonly publishedAt: number;
}

/**
 * The trunks served by the fleet, published by workers at start so a producer needs nothing but
 * the Redis URL to refuse an unknown trunk at enqueue.
 */
export class TrunkDirectory {
  #cache: { at: number; trunks: Map<string, TrunkInfo> } | undefined;

  constructor(
    private readonly redis: RedisConnection,
    private readonly keys: DialerKeys,
    private readonly cacheMs = 5_000,
  ) {}

  async publish(trunks: ReadonlyArray<Omit<TrunkInfo, 'publishedAt'>>): Promise<void> {
    if (trunks.length === 0) return;
    const now = Date.now();
    const fields: string[] = [];
    for (const trunk of trunks) fields.push(trunk.name, JSON.stringify({ ...trunk, publishedAt: now }));
    await this.redis.hset(this.keys.trunks, ...fields);
    this.#cache = undefined;
  }

  async all(): Promise<Map<string, TrunkInfo>> {
    if (this.#cache && Date.now() - this.#cache.at < this.cacheMs) return this.#cache.trunks;
    const raw = await this.redis.hgetall(this.keys.trunks);
    const trunks = new Map<string, TrunkInfo>();
    for (const [name, json] of Object.entries(raw)) trunks.set(name, JSON.parse(json) as TrunkInfo);
    this.#cache = { at: Date.now(), trunks };
    return trunks;
  }
}
