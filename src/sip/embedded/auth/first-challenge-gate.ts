import type { Clock } from '../transaction/sip-timers.js';
import type { DigestKind, NonceCache } from './nonce-cache.js';

/** One request's pass through the gate. Both reports are idempotent; the first one counts. */
export interface FirstChallengeTicket {
  /** This request went out alone; the others of its trunk and method wait for its report. */
  readonly leader: boolean;
  /**
   * The carrier's answer told us what it wants: the challenge kinds it asks for (`[]` when it let
   * the request through without one). Releases the waiters.
   */
  learned(kinds: readonly DigestKind[]): void;
  /** The leader ended without telling (timeout, transport error, cancel): release the waiters. */
  release(): void;
}

export interface FirstChallengeGateOptions {
  readonly nonces: NonceCache;
  readonly clock: Clock;
  /** Longest a request waits for the leader's answer before it goes anyway. */
  readonly maxWaitMs: number;
}

interface Flight {
  readonly done: Promise<void>;
  readonly resolve: () => void;
}

interface KeyState {
  /** What the carrier asks for on this method; undefined until a leader has learnt it. */
  kinds: readonly DigestKind[] | undefined;
  flight: Flight | undefined;
}

const PASSIVE: FirstChallengeTicket = { leader: false, learned: () => undefined, release: () => undefined };

/**
 * Makes a trunk's first challenge single-flight. Without it a cold worker with 100 channels sends
 * 100 INVITEs with no usable nonce and pays 100 challenges in the same millisecond; with it the
 * first goes alone and the rest wait (at most `maxWaitMs`) until its 401/407 fills the nonce cache,
 * then go with credentials. "Usable" is per trunk, method and challenge kind: a REGISTER's
 * WWW-Authenticate nonce does not stand in for the Proxy-Authenticate an INVITE may be asked for.
 */
export class FirstChallengeGate {
  readonly #o: FirstChallengeGateOptions;
  readonly #keys = new Map<string, KeyState>();

  constructor(options: FirstChallengeGateOptions) {
    this.#o = options;
  }

  /** Resolves when `method` may go out on `scope`: at once, as the leader, or after waiting. */
  async enter(scope: string, method: string): Promise<FirstChallengeTicket> {
    const key = `${scope}\u0000${method}`;
    let state = this.#keys.get(key);
    if (state === undefined) {
      state = { kinds: undefined, flight: undefined };
      this.#keys.set(key, state);
    }
    if (state.kinds !== undefined && state.kinds.every((kind) => this.#o.nonces.has(scope, kind)))
      return PASSIVE;
    if (state.flight !== undefined) {
      await this.#wait(state.flight);
      return PASSIVE;
    }
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    const flight: Flight = { done, resolve };
    state.flight = flight;
    const own = state;
    const end = (kinds?: readonly DigestKind[]): void => {
      if (own.flight !== flight) return;
      if (kinds !== undefined) own.kinds = [...kinds];
      own.flight = undefined;
      flight.resolve();
    };
    return { leader: true, learned: (kinds) => end(kinds), release: () => end() };
  }

  async #wait(flight: Flight): Promise<void> {
    let timer: { cancel(): void } | undefined;
    await Promise.race([
      flight.done,
      new Promise<void>((resolve) => (timer = this.#o.clock.setTimer(this.#o.maxWaitMs, resolve))),
    ]);
    timer?.cancel();
  }
}
