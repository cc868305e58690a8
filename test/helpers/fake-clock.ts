import type { Clock, TimerHandle } from '../../src/sip/embedded/transaction/sip-timers.js';

interface ScheduledTimer {
  readonly at: number;
  /** Creation order: timers due at the same instant fire in the order they were set. */
  readonly seq: number;
  readonly fn: () => void;
}

/**
 * A clock the test moves by hand, so a retransmission schedule can be checked to the millisecond
 * without waiting for it. Time starts at 0 (or `start`) and only moves in `advance`.
 */
export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  readonly #timers = new Map<number, ScheduledTimer>();

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const seq = this.#seq++;
    this.#timers.set(seq, { at: this.#now + Math.max(0, ms), seq, fn });
    return { cancel: () => void this.#timers.delete(seq) };
  }

  /**
   * Moves time forward by `ms`, firing every timer due by then in time order, each with `now()` at
   * its own due time. Timers that callbacks set along the way fire too if they fall due in the window.
   */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`FakeClock.advance: ms must be >= 0, got ${ms}`);
    const target = this.#now + ms;
    for (;;) {
      const next = this.#earliest();
      if (next === undefined || next.at > target) break;
      this.#timers.delete(next.seq);
      this.#now = next.at;
      next.fn();
    }
    this.#now = target;
  }

  /** Moves time to the absolute instant `at` (not backwards). */
  advanceTo(at: number): void {
    this.advance(at - this.#now);
  }

  /** Timers set and neither fired nor cancelled. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Due time of the earliest pending timer, or undefined when none is pending. */
  get nextDueAt(): number | undefined {
    return this.#earliest()?.at;
  }

  #earliest(): ScheduledTimer | undefined {
    let best: ScheduledTimer | undefined;
    for (const timer of this.#timers.values()) {
      if (best === undefined || timer.at < best.at || (timer.at === best.at && timer.seq < best.seq))
        best = timer;
    }
    return best;
  }
}
