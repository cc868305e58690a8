/** RFC 3711 §3.3.2: the receiver remembers at least 64 indices behind the highest one. */
const WINDOW = 64;

/**
 * Which packet indices (48-bit SRTP or 31-bit SRTCP) were already accepted: a packet older than
 * the window, or seen in it, is a replay. Each index in the window has its own slot (index mod
 * 64) holding the last index accepted there, so a check is two comparisons, no big integers.
 */
export class SrtpReplayWindow {
  #highest = -1;
  readonly #slots = new Float64Array(WINDOW).fill(-1);

  /** True when `index` is new and inside the window (it may be accepted once authenticated). */
  check(index: number): boolean {
    if (index > this.#highest) return true;
    if (this.#highest - index >= WINDOW) return false;
    // Within the window a slot holds `index` itself, or an index at least 64 older: not this one.
    return this.#slots[index % WINDOW] !== index;
  }

  /** Records an authenticated packet's index. */
  accept(index: number): void {
    this.#slots[index % WINDOW] = index;
    if (index > this.#highest) this.#highest = index;
  }
}
