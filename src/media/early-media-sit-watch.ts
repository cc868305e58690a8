import { CallProgressAnalyzer, type CallProgressOptions, type SitEvent } from './analysis/index.js';
import type { RtpSession } from './rtp-session.js';

/**
 * Listens to a call's early media (the RTP a 183 with SDP opens before any answer) for a special
 * information tone: carriers often play "the number you dialled is not in service" there and then
 * send a 4xx, or even answer. Only the SIT is taken from the analyzer; who would have answered is
 * meaningless before the answer. An analyzer that is done (its analysis window over) is replaced,
 * so a tone after long ringback is still heard. Knows nothing of jobs.
 */
export class EarlyMediaSitWatch {
  readonly #session: RtpSession;
  readonly #options: Partial<CallProgressOptions>;
  #analyzer: CallProgressAnalyzer;
  #sit: SitEvent | undefined;
  /** Audio ms of the analyzers already replaced, so a SIT's time counts from the first packet. */
  #offsetMs = 0;
  #closed = false;

  constructor(session: RtpSession, options: Partial<CallProgressOptions> = {}) {
    this.#session = session;
    this.#options = options;
    this.#analyzer = new CallProgressAnalyzer(options);
    session.on('audio', this.#onAudio);
  }

  /** The first SIT heard, its `atMs` in ms of early audio. */
  get sit(): SitEvent | undefined {
    return this.#sit;
  }

  /** Stops listening; idempotent. The session stays the caller's to close. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#session.off('audio', this.#onAudio);
  }

  readonly #onAudio = (pcm: Int16Array): void => {
    if (this.#sit !== undefined) return;
    for (const event of this.#analyzer.push(pcm)) {
      if (event.type === 'sit') {
        this.#sit = { ...event, atMs: event.atMs + this.#offsetMs };
        this.close();
        return;
      }
    }
    if (this.#analyzer.done) {
      this.#offsetMs += this.#analyzer.elapsedMs;
      this.#analyzer = new CallProgressAnalyzer(this.#options);
    }
  };
}
