import { performance } from 'node:perf_hooks';
import { MediaSessionError } from './media-session-error.js';
import { PacingHistogram, type PacingStats } from './pacing-histogram.js';

/** Something sent once per period: an RTP stream. */
export interface PacedStream {
  /**
   * Its turn. `idealMs` is the instant (on `performance.now()`'s clock) this packet was due;
   * consecutive calls differ by exactly one period, or by whole periods after a stall.
   */
  tick(idealMs: number): void;
}

/** A stream's place in the scheduler. */
export interface PacedHandle {
  /** Stops the stream's ticks. Idempotent. */
  cancel(): void;
}

export interface MediaSchedulerOptions {
  /** Default 20 ms (the G.711 packet time every carrier expects). */
  readonly periodMs?: number;
  /**
   * A stream further behind than this skips the missed periods instead of bursting them all out
   * (its timestamps then jump, as after a real gap). Default 200 ms.
   */
  readonly maxCatchUpMs?: number;
  /** Called with the error when a stream's tick throws; the stream keeps its place. */
  readonly onError?: (error: unknown) => void;
}

interface Entry {
  due: number;
  readonly stream: PacedStream;
  index: number;
}

/**
 * Paces every stream of the process from one timer. Each stream's due times are fixed multiples
 * of the period from its start, so timer lateness never accumulates into drift; streams keep the
 * phase they started with, which spreads a process's sends across the period.
 */
export class MediaScheduler {
  static #shared: MediaScheduler | undefined;

  /** The process-wide scheduler every call shares. */
  static shared(): MediaScheduler {
    MediaScheduler.#shared ??= new MediaScheduler();
    return MediaScheduler.#shared;
  }

  readonly periodMs: number;
  readonly #maxCatchUpMs: number;
  readonly #onError: (error: unknown) => void;
  /** Min-heap on `due`. */
  readonly #heap: Entry[] = [];
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Infinity;
  #running = false;
  #closed = false;
  readonly #pacing = new PacingHistogram();

  constructor(options: MediaSchedulerOptions = {}) {
    this.periodMs = options.periodMs ?? 20;
    this.#maxCatchUpMs = options.maxCatchUpMs ?? 200;
    this.#onError = options.onError ?? (() => {});
  }

  get size(): number {
    return this.#heap.length;
  }

  /** Starts ticking `stream`, first at `firstDueMs` (default: now). */
  add(stream: PacedStream, firstDueMs: number = performance.now()): PacedHandle {
    if (this.#closed) throw new MediaSessionError('the media scheduler is closed');
    const entry: Entry = { due: firstDueMs, stream, index: this.#heap.length };
    this.#heap.push(entry);
    this.#siftUp(entry.index);
    if (!this.#running) this.#arm();
    return {
      cancel: () => {
        if (entry.index < 0) return;
        this.#remove(entry);
        if (!this.#running) this.#arm();
      },
    };
  }

  /** How late ticks started (start of the tick minus its ideal time) since the last reset. */
  get pacing(): PacingStats {
    return this.#pacing.stats;
  }

  resetPacing(): void {
    this.#pacing.reset();
  }

  /** Drops every stream and the timer. Idempotent. */
  close(): void {
    this.#closed = true;
    for (const e of this.#heap) e.index = -1;
    this.#heap.length = 0;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
    if (MediaScheduler.#shared === this) MediaScheduler.#shared = undefined;
  }

  readonly #run = (): void => {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    this.#running = true;
    try {
      let now = performance.now();
      const heap = this.#heap;
      while (heap.length > 0) {
        const top = heap[0]!;
        if (top.due > now) {
          // Timers fire late, never early: look again before sleeping, the clock has moved.
          now = performance.now();
          if (top.due > now) break;
        }
        const ideal = top.due;
        top.due += this.periodMs;
        if (now - top.due > this.#maxCatchUpMs) {
          top.due += Math.floor((now - top.due) / this.periodMs) * this.periodMs;
        }
        this.#siftDown(0);
        this.#pacing.record(performance.now() - ideal);
        try {
          top.stream.tick(ideal);
        } catch (error) {
          this.#onError(error);
        }
      }
    } finally {
      this.#running = false;
      this.#arm();
    }
  };

  #arm(): void {
    const top = this.#heap[0];
    if (top === undefined) {
      if (this.#timer) clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#timerAt = Infinity;
      return;
    }
    if (this.#timer && this.#timerAt <= top.due) return;
    if (this.#timer) clearTimeout(this.#timer);
    // Node timers have 1 ms resolution and fire at or after the delay: round down, the loop
    // above waits out any remainder by checking the clock again.
    const delay = Math.max(0, Math.floor(top.due - performance.now()));
    this.#timerAt = top.due;
    this.#timer = setTimeout(this.#run, delay);
    // The sockets of live calls keep the process up; the scheduler alone must not.
    this.#timer.unref();
  }

  #remove(entry: Entry): void {
    const heap = this.#heap;
    const i = entry.index;
    entry.index = -1;
    const last = heap.pop()!;
    if (last === entry) return;
    heap[i] = last;
    last.index = i;
    this.#siftDown(i);
    this.#siftUp(last.index);
  }

  #siftUp(i: number): void {
    const heap = this.#heap;
    const entry = heap[i]!;
    while (i > 0) {
      const parentIndex = (i - 1) >> 1;
      const parent = heap[parentIndex]!;
      if (parent.due <= entry.due) break;
      heap[i] = parent;
      parent.index = i;
      i = parentIndex;
    }
    heap[i] = entry;
    entry.index = i;
  }

  #siftDown(i: number): void {
    const heap = this.#heap;
    const n = heap.length;
    const entry = heap[i]!;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && heap[right]!.due < heap[left]!.due ? right : left;
      const c = heap[child]!;
      if (c.due >= entry.due) break;
      heap[i] = c;
      c.index = i;
      i = child;
    }
    heap[i] = entry;
    entry.index = i;
  }
}
