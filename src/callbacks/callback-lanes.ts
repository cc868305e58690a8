/** How many deferrals of one delivery are remembered; past that the oldest is forgotten. */
const MAX_TRACKED = 10_000;

/**
 * Deliveries in flight per receiver (URL origin: scheme, host and port) in this process. A
 * receiver at its limit gets no more of the worker's slots: its next deliveries are deferred, so
 * one that accepts connections and never answers cannot starve the others.
 */
export class CallbackLanes {
  readonly #limit: number;
  readonly #inFlight = new Map<string, number>();
  readonly #deferrals = new Map<string, number>();

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** The lane of `url`; a URL that does not parse gets its own lane (the delivery will say why). */
  static laneOf(url: string): string {
    try {
      return new URL(url).origin;
    } catch {
      return url;
    }
  }

  /** Takes a slot of `lane` if one is free. */
  tryEnter(lane: string): boolean {
    const n = this.#inFlight.get(lane) ?? 0;
    if (n >= this.#limit) return false;
    this.#inFlight.set(lane, n + 1);
    return true;
  }

  leave(lane: string): void {
    const n = (this.#inFlight.get(lane) ?? 1) - 1;
    if (n <= 0) this.#inFlight.delete(lane);
    else this.#inFlight.set(lane, n);
  }

  /**
   * How long to put delivery `id` off: doubling from `baseMs` each time it finds its lane full, up
   * to `maxMs` (the longest a slot can stay held), so a backlog behind a hung receiver is polled
   * ever more rarely instead of spinning through Redis.
   */
  deferFor(id: string, baseMs: number, maxMs: number): number {
    const times = (this.#deferrals.get(id) ?? 0) + 1;
    this.#deferrals.delete(id);
    this.#deferrals.set(id, times);
    if (this.#deferrals.size > MAX_TRACKED) this.#deferrals.delete(this.#deferrals.keys().next().value!);
    return Math.min(maxMs, baseMs * 2 ** Math.min(times - 1, 20));
  }

  /** Forgets the deferrals of `id` once it got a slot. */
  entered(id: string): void {
    this.#deferrals.delete(id);
  }
}
