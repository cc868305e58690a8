import type { Logger } from '../../log/index.js';
import type { Clock } from './transaction/sip-timers.js';
import { remoteKey, type RemoteAddress } from './transport/sip-transport.js';

export type SpoofedKind = 'response' | 'request';

/** At most this many warnings per window; the rest are only counted. */
const WARNINGS_PER_WINDOW = 10;
const WINDOW_MS = 60_000;

/**
 * Counts and logs SIP messages dropped because they came from someone other than the peer they
 * claim to belong to. The log is rate-limited: a flood of forgeries must not become a log flood.
 * Only the source, method/status and Call-ID are logged: nothing a request carries as credentials.
 */
export class SpoofedMessageLog {
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #counts: Record<SpoofedKind, number> = { response: 0, request: 0 };
  #windowStart = Number.NEGATIVE_INFINITY;
  #warned = 0;
  #suppressed = 0;

  constructor(logger: Logger, clock: Clock) {
    this.#logger = logger;
    this.#clock = clock;
  }

  get counts(): Readonly<Record<SpoofedKind, number>> {
    return this.#counts;
  }

  record(kind: SpoofedKind, source: RemoteAddress, detail: { callId: string; what: string }): void {
    this.#counts[kind] += 1;
    const now = this.#clock.now();
    if (now - this.#windowStart >= WINDOW_MS) {
      if (this.#suppressed > 0)
        this.#logger.warn({ suppressed: this.#suppressed }, 'more spoofed SIP messages were dropped');
      this.#windowStart = now;
      this.#warned = 0;
      this.#suppressed = 0;
    }
    if (this.#warned >= WARNINGS_PER_WINDOW) {
      this.#suppressed += 1;
      return;
    }
    this.#warned += 1;
    this.#logger.warn(
      {
        kind,
        source: `${source.transport}:${remoteKey(source)}`,
        callId: detail.callId,
        message: detail.what,
      },
      'SIP message from an address that is not the peer: dropped',
    );
  }
}
