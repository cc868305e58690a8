import type { RedisConnection } from '../redis/index.js';
import type { DialerKeys } from '../kernel/index.js';
import type { DialFormatName } from '../numbers/index.js';

/**
 * Which dial format a trunk accepted last, per country (the reference case: a carrier that 404s
 * `+55…` and routes `55…`), so later calls to that country go right the first time.
 */
export class FormatMemory {
  readonly #cache = new Map<string, { value: DialFormatName | undefined; at: number }>();

  constructor(
    private readonly redis: RedisConnection,
    private readonly keys: DialerKeys,
    /** Local cache lifetime, so every call does not cost a round trip. Default: 10 s. */
    private readonly cacheMs = 10_000,
  ) {}

  async get(trunk: string, country: string): Promise<DialFormatName | undefined> {
    const key = this.keys.dialFormat(trunk, country);
    const cached = this.#cache.get(key);
    if (cached && Date.now() - cached.at < this.cacheMs) return cached.value;
    const value = ((await this.redis.get(key)) ?? undefined) as DialFormatName | undefined;
    this.#cache.set(key, { value, at: Date.now() });
    return value;
  }

  async remember(trunk: string, country: string, format: DialFormatName): Promise<void> {
    const key = this.keys.dialFormat(trunk, country);
    this.#cache.set(key, { value: format, at: Date.now() });
    await this.redis.set(key, format);
  }
}
