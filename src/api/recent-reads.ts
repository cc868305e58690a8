/**
 * Keeps what a slow read returned for `ttlMs`, per key, so many open pages polling the same
 * campaign share one read instead of each scanning the outcomes stream. The read in flight is
 * shared too; a failed one is forgotten at once. At most `maxKeys` are kept (the oldest go first).
 * Holds no timer and no connection: nothing to close.
 */
export class RecentReads<V> {
  readonly #entries = new Map<string, { readonly at: number; readonly value: Promise<V> }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxKeys = 1000,
  ) {}

  get(key: string, read: () => Promise<V>, now = Date.now()): Promise<V> {
    const hit = this.#entries.get(key);
    if (hit !== undefined && now - hit.at < this.ttlMs) return hit.value;
    const value = read();
    this.#entries.delete(key);
    this.#entries.set(key, { at: now, value });
    value.catch(() => {
      if (this.#entries.get(key)?.value === value) this.#entries.delete(key);
    });
    while (this.#entries.size > this.maxKeys) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
    return value;
  }
}
