import {
  lookupSipService,
  orderSipService,
  type ResolveSipTargetOptions,
  type SipServiceEntry,
  type SipTarget,
} from './resolve-sip-target.js';

export interface SipTargetCacheOptions extends ResolveSipTargetOptions {
  /** How long a lookup is reused, ms. Default: 60 000. */
  ttlMs?: number;
  /** Monotonic time source. Default: `performance.now()`. The engine's `Clock` fits. */
  clock?: { now(): number };
}

interface Entry {
  readonly entries: readonly SipServiceEntry[];
  readonly expiresAt: number;
}

/**
 * `resolveSipTarget` with the DNS answers kept for `ttlMs`, so a call does not pay a lookup.
 * What is cached is the SRV set with its addresses, not one order: every `resolve` draws a fresh
 * weighted order, so SRV weights still spread load. Failures are not cached; concurrent
 * lookups of the same target and transport share one DNS query set.
 */
export class SipTargetCache {
  readonly #options: ResolveSipTargetOptions;
  readonly #ttlMs: number;
  readonly #clock: { now(): number };
  readonly #entries = new Map<string, Entry>();
  readonly #inFlight = new Map<string, Promise<readonly SipServiceEntry[]>>();

  constructor(options: SipTargetCacheOptions = {}) {
    const { ttlMs = 60_000, clock = { now: () => performance.now() }, ...resolveOptions } = options;
    this.#options = resolveOptions;
    this.#ttlMs = ttlMs;
    this.#clock = clock;
  }

  /** Addresses for `target` in the order to try them. Rejects with `SipResolveError`. */
  async resolve(target: string, transport: 'udp' | 'tcp' | 'tls'): Promise<SipTarget[]> {
    const entries = await this.#lookup(target, transport);
    return orderSipService(entries, this.#options.random);
  }

  /** Forgets every cached answer (e.g. after the carrier announced a DNS change). */
  clear(): void {
    this.#entries.clear();
  }

  #lookup(target: string, transport: 'udp' | 'tcp' | 'tls'): Promise<readonly SipServiceEntry[]> {
    const key = `${transport} ${target}`;
    const cached = this.#entries.get(key);
    if (cached !== undefined && cached.expiresAt > this.#clock.now()) return Promise.resolve(cached.entries);
    const pending = this.#inFlight.get(key);
    if (pending !== undefined) return pending;
    const lookup = lookupSipService(target, transport, this.#options)
      .then((entries) => {
        this.#entries.set(key, { entries, expiresAt: this.#clock.now() + this.#ttlMs });
        return entries;
      })
      .finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, lookup);
    return lookup;
  }
}
