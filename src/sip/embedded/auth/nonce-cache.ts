import type { DigestChallenge } from './digest-challenge.js';
import { DigestInputError } from './digest-input-error.js';

/** Which header carried the challenge: WWW-Authenticate (401) or Proxy-Authenticate (407). */
export type DigestKind = 'www' | 'proxy';

/** Credentials to send up front: build them from `challenge` with this `nc`. */
export interface NonceCacheEntry {
  readonly challenge: DigestChallenge;
  readonly kind: DigestKind;
  /** Already incremented: use it as is. */
  readonly nc: number;
}

export interface NonceCacheOptions {
  /** How long a remembered challenge is reused, from when it was last remembered. Default: 5 minutes. */
  ttlMs?: number;
  /** Most scopes kept; the least recently used goes first. Default: 1024. */
  maxScopes?: number;
  /** Clock, in milliseconds. Default: `Date.now`. */
  now?: () => number;
}

interface Slot {
  readonly challenge: DigestChallenge;
  readonly kind: DigestKind;
  nc: number;
  expiresAt: number;
}

const MAX_NC = 0xffffffff;

/**
 * Last digest challenge per protection space (scope × kind × realm), so the next request carries
 * credentials up front instead of paying a 401/407 round trip (DESIGN: one round trip saved per call).
 *
 * Flow: on a 401/407, `remember` the picked challenge, then `next` for the nc of the retry; before
 * any later request, `next(scope)` gives every cached space (a proxy's and the registrar's, say),
 * each with its own nc. On a 401/407 that answers credentials we sent, `remember` the new challenge
 * (stale nonce) or `forget` (wrong password). An Authentication-Info `nextnonce` is remembered as a
 * copy of the challenge with that nonce.
 */
export class NonceCache {
  readonly #ttlMs: number;
  readonly #maxScopes: number;
  readonly #now: () => number;
  /** Map order is recency: scopes are re-inserted when used, slots when re-remembered. */
  readonly #scopes = new Map<string, Map<string, Slot>>();

  constructor(options: NonceCacheOptions = {}) {
    const ttlMs = options.ttlMs ?? 5 * 60_000;
    if (!Number.isFinite(ttlMs) || ttlMs <= 0) {
      throw new DigestInputError('ttlMs', `NonceCache ttlMs must be a positive number, got ${ttlMs}`);
    }
    const maxScopes = options.maxScopes ?? 1024;
    if (!Number.isInteger(maxScopes) || maxScopes < 1) {
      throw new DigestInputError(
        'maxScopes',
        `NonceCache maxScopes must be a positive integer, got ${maxScopes}`,
      );
    }
    this.#ttlMs = ttlMs;
    this.#maxScopes = maxScopes;
    this.#now = options.now ?? Date.now;
  }

  /** Number of scopes held (expired entries are dropped lazily). */
  get size(): number {
    return this.#scopes.size;
  }

  /**
   * Keeps `challenge` for its realm under `scope` and `kind`. A new nonce starts nc again at 0; the
   * same nonce keeps counting, since the server rejects a repeated nc as a replay.
   */
  remember(scope: string, kind: DigestKind, challenge: DigestChallenge): void {
    const slots = this.#touch(scope) ?? new Map<string, Slot>();
    const key = `${kind} ${challenge.realm}`;
    const previous = slots.get(key);
    const nc = previous !== undefined && previous.challenge.nonce === challenge.nonce ? previous.nc : 0;
    slots.delete(key);
    slots.set(key, { challenge, kind, nc, expiresAt: this.#now() + this.#ttlMs });
    this.#scopes.set(scope, slots);
    for (const oldest of this.#scopes.keys()) {
      if (this.#scopes.size <= this.#maxScopes) break;
      this.#scopes.delete(oldest);
    }
  }

  /**
   * With `kind`: the most recently remembered challenge of that kind for `scope`, nc incremented,
   * or undefined. Without: every cached protection space of `scope`, proxy ones first, each with its
   * own nc incremented, so one request can carry a Proxy-Authorization and an Authorization; empty
   * when none.
   */
  next(scope: string, kind: DigestKind): NonceCacheEntry | undefined;
  next(scope: string): NonceCacheEntry[];
  next(scope: string, kind?: DigestKind): NonceCacheEntry | undefined | NonceCacheEntry[] {
    const slots = this.#touch(scope);
    const chosen: Array<[string, Slot]> = [];
    if (slots) {
      const now = this.#now();
      for (const [key, slot] of slots) {
        if (slot.expiresAt <= now) slots.delete(key);
        else if (kind === undefined || slot.kind === kind) chosen.push([key, slot]);
      }
    }
    const picked =
      kind === undefined ? chosen.sort(([, a], [, b]) => kindOrder(a) - kindOrder(b)) : chosen.slice(-1);

    const out: NonceCacheEntry[] = [];
    for (const [key, slot] of picked) {
      // nc is 8 hex digits; past that the nonce cannot sign again, so let the server issue a new one.
      if (slot.nc >= MAX_NC) {
        slots?.delete(key);
        continue;
      }
      slot.nc++;
      out.push({ challenge: slot.challenge, kind: slot.kind, nc: slot.nc });
    }
    if (slots?.size === 0) this.#scopes.delete(scope);
    return kind === undefined ? out : out[0];
  }

  /** Whether `scope` holds an unexpired challenge of `kind` that can still sign; nc is left as it is. */
  has(scope: string, kind: DigestKind): boolean {
    const now = this.#now();
    for (const slot of this.#scopes.get(scope)?.values() ?? [])
      if (slot.kind === kind && slot.expiresAt > now && slot.nc < MAX_NC) return true;
    return false;
  }

  /** Drops what `scope` holds, of one kind or of both. */
  forget(scope: string, kind?: DigestKind): void {
    const slots = this.#scopes.get(scope);
    if (!slots) return;
    for (const [key, slot] of slots) if (kind === undefined || slot.kind === kind) slots.delete(key);
    if (slots.size === 0) this.#scopes.delete(scope);
  }

  clear(): void {
    this.#scopes.clear();
  }

  /** The scope's slots, moved to the most recently used end; undefined if absent. */
  #touch(scope: string): Map<string, Slot> | undefined {
    const slots = this.#scopes.get(scope);
    if (slots) {
      this.#scopes.delete(scope);
      this.#scopes.set(scope, slots);
    }
    return slots;
  }
}

function kindOrder(slot: Slot): number {
  return slot.kind === 'proxy' ? 0 : 1;
}
