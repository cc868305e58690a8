import { dtmfDigitOf, type DtmfDigit } from './telephone-event.js';

/** An event whose end packets were all lost is reported after this much quiet. */
const LOST_END_MS = 600;
const SAMPLES_PER_MS = 8;
/** Events remembered as reported, so their repeated or late end packets report nothing. */
const REMEMBERED = 16;

/**
 * The far end's RFC 4733 events, one digit each: reported on the first end packet (§2.5.1.4
 * sends it three times), or, when every end packet was lost, when the next event starts or after
 * 600 ms of quiet (`check`). Flash and tones are not digits and report nothing.
 */
export class TelephoneEventReceiver {
  readonly #onDigit: (digit: DtmfDigit, durationMs: number) => void;
  /** The event being received: its key (SSRC and start timestamp) and what we know of it. */
  #inEvent: { key: string; code: number; duration: number; lastAt: number } | undefined;
  readonly #reported: string[] = [];

  constructor(onDigit: (digit: DtmfDigit, durationMs: number) => void) {
    this.#onDigit = onDigit;
  }

  /** One event packet; `key` names the event (its SSRC and start timestamp). */
  packet(key: string, code: number, end: boolean, duration: number, now: number): void {
    if (this.#reported.includes(key)) return; // a repeated end packet, or a late one
    if (this.#inEvent && this.#inEvent.key !== key) {
      // A new event while the previous never ended: its end packets were lost.
      this.#report(this.#inEvent.key, this.#inEvent.code, this.#inEvent.duration);
    }
    if (end) {
      this.#report(key, code, duration);
      return;
    }
    this.#inEvent = { key, code, duration, lastAt: now };
  }

  /** Reports an event gone quiet without its end. */
  check(now: number): void {
    if (this.#inEvent && now - this.#inEvent.lastAt > LOST_END_MS) {
      const { key, code, duration } = this.#inEvent;
      this.#report(key, code, duration);
    }
  }

  /** Forgets the event in progress (the session closed): it is not reported. */
  reset(): void {
    this.#inEvent = undefined;
  }

  #report(key: string, code: number, duration: number): void {
    if (this.#inEvent?.key === key) this.#inEvent = undefined;
    this.#reported.push(key);
    if (this.#reported.length > REMEMBERED) this.#reported.shift();
    const digit = dtmfDigitOf(code);
    if (digit !== undefined) this.#onDigit(digit, duration / SAMPLES_PER_MS);
  }
}
