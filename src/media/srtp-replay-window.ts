/** RFC 3711 §3.3.2: the receiver remembers at least 64 indices behind the highest one. */
const WINDOW = 64n;

/**
 * Which packet indices (48-bit SRTP or 31-bit SRTCP) were already accepted: a packet older than
 * the window, or seen in it, is a replay.
 */
export class SrtpReplayWindow {
  #highest: bigint | undefined;
  /** Bit n set: index `highest - n` was accepted. */
  #mask = 0n;

  /** True when `index` is new and inside the window (it may be accepted once authenticated). */
  check(index: number): boolean {
    if (this.#highest === undefined) return true;
    const i = BigInt(index);
    if (i > this.#highest) return true;
    const behind = this.#highest - i;
    if (behind >= WINDOW) return false;
    return (this.#mask & (1n << behind)) === 0n;
  }

  /** Records an authenticated packet's index. */
  accept(index: number): void {
    const i = BigInt(index);
    if (this.#highest === undefined) {
      this.#highest = i;
      this.#mask = 1n;
      return;
    }
    if (i > this.#highest) {
      const ahead = i - this.#highest;
      this.#mask = ahead >= WINDOW ? 1n : ((this.#mask << ahead) | 1n) & ((1n << WINDOW) - 1n);
      this.#highest = i;
    } else {
      this.#mask |= 1n << (this.#highest - i);
    }
  }
}
