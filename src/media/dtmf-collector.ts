import { MediaSessionError } from './media-session-error.js';

export interface DigitCollectOptions {
  /** Collection ends once this many digits (terminator excluded) are in. */
  readonly maxDigits: number;
  /** How long to wait for the next digit once waiting starts; each digit restarts it. */
  readonly timeoutMs: number;
  /** A digit that ends collection early and is not part of the result (`#` typically). */
  readonly terminator?: string;
}

/** Why collection ended. `stopped`: the call ended first. */
export type CollectEnd = 'max-digits' | 'terminator' | 'timeout' | 'stopped';

/**
 * Digits from any source (RFC 4733, SIP INFO) for one prompt-and-collect: keeps them in order,
 * ends on maxDigits, the terminator, or the inter-digit timeout.
 */
export class DtmfCollector {
  readonly #maxDigits: number;
  readonly #timeoutMs: number;
  readonly #terminator: string | undefined;
  #digits = '';
  #end: CollectEnd | undefined;
  #waiting = false;
  #timer: NodeJS.Timeout | undefined;
  #resolveEnd!: (end: CollectEnd) => void;
  readonly #ended: Promise<CollectEnd>;
  #resolveFirst!: () => void;
  /** Resolves at the first digit: the caller stops the prompt (barge-in). */
  readonly firstDigit: Promise<void>;

  constructor(options: DigitCollectOptions) {
    if (!Number.isInteger(options.maxDigits) || options.maxDigits < 1) {
      throw new MediaSessionError(
        `collect.maxDigits must be a positive integer, got ${String(options.maxDigits)}`,
      );
    }
    if (!Number.isFinite(options.timeoutMs) || options.timeoutMs <= 0) {
      throw new MediaSessionError(
        `collect.timeoutMs must be a positive number, got ${String(options.timeoutMs)}`,
      );
    }
    this.#maxDigits = options.maxDigits;
    this.#timeoutMs = options.timeoutMs;
    this.#terminator = options.terminator;
    this.#ended = new Promise((resolve) => (this.#resolveEnd = resolve));
    this.firstDigit = new Promise((resolve) => (this.#resolveFirst = resolve));
  }

  get digits(): string {
    return this.#digits;
  }

  get end(): CollectEnd | undefined {
    return this.#end;
  }

  push(digit: string): void {
    if (this.#end !== undefined) return;
    this.#resolveFirst();
    if (digit === this.#terminator) {
      this.#finish('terminator');
      return;
    }
    this.#digits += digit;
    if (this.#digits.length >= this.#maxDigits) {
      this.#finish('max-digits');
      return;
    }
    if (this.#waiting) this.#restartTimer();
  }

  /** Starts the timeout (after the prompt) and resolves when collection ends. */
  wait(): Promise<CollectEnd> {
    if (this.#end === undefined && !this.#waiting) {
      this.#waiting = true;
      this.#restartTimer();
    }
    return this.#ended;
  }

  /** Ends collection now (`stopped`) if it has not ended. Idempotent. */
  close(): void {
    this.#finish('stopped');
  }

  #restartTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#finish('timeout'), this.#timeoutMs);
  }

  #finish(end: CollectEnd): void {
    if (this.#end !== undefined) return;
    this.#end = end;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#resolveEnd(end);
  }
}
