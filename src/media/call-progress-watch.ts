import { TypedEventEmitter } from '../kernel/index.js';
import {
  CallProgressAnalyzer,
  DECISION_DEADLINE_MARGIN_MS,
  type BeepEvent,
  type CallProgressEvent,
  type CallProgressDecision,
  type CallProgressOptions,
  type SitEvent,
} from './analysis/index.js';
import type { RtpSession } from './rtp-session.js';

export type CallProgressWatchEvents = {
  decision: [CallProgressDecision];
  beep: [BeepEvent];
  sit: [SitEvent];
  /** The analyzer will say nothing more (decided, and the beep heard or its window over). */
  done: [];
};

/** When a message to a machine may start: after its beep, or with no beep in the beep window. */
export type MessageCue = { readonly after: 'beep'; readonly beep: BeepEvent } | { readonly after: 'no-beep' };

/**
 * A call's answering-machine detection: the far end's decoded RTP audio fed to a
 * CallProgressAnalyzer from the moment it is made, its events re-emitted and kept. It knows
 * nothing of jobs; the worker decides what a machine or a SIT means for the call.
 *
 * The analyzer's clock is audio time, so with no RTP (or comfort noise only) it never decides;
 * the watch's own wall-clock deadline (`totalAnalysisMs` + DECISION_DEADLINE_MARGIN_MS from its
 * creation) then decides `unknown`, so a waiting script is never held for ever.
 */
export class CallProgressWatch extends TypedEventEmitter<CallProgressWatchEvents> {
  readonly analyzer: CallProgressAnalyzer;
  readonly #session: RtpSession;
  #decision: CallProgressDecision | undefined;
  #beep: BeepEvent | undefined;
  #sit: SitEvent | undefined;
  #closed = false;
  #done = false;
  #deadline: NodeJS.Timeout | undefined;

  constructor(session: RtpSession, options: Partial<CallProgressOptions> = {}) {
    super();
    this.analyzer = new CallProgressAnalyzer(options);
    this.#session = session;
    session.on('audio', this.#onAudio);
    this.#deadline = setTimeout(
      this.#onDeadline,
      this.analyzer.options.totalAnalysisMs + DECISION_DEADLINE_MARGIN_MS,
    );
    // The call's own timers keep the process alive; this one alone must not.
    this.#deadline.unref();
  }

  get decision(): CallProgressDecision | undefined {
    return this.#decision;
  }

  get beep(): BeepEvent | undefined {
    return this.#beep;
  }

  get sit(): SitEvent | undefined {
    return this.#sit;
  }

  /** Resolves with the decision (at once when it was made); never, once closed without one. */
  decided(): Promise<CallProgressDecision> {
    const decision = this.#decision;
    if (decision !== undefined) return Promise.resolve(decision);
    return new Promise((resolve) => this.once('decision', resolve));
  }

  /** Resolves when a message may start: see MessageCue. */
  messageCue(): Promise<MessageCue> {
    const beep = this.#beep;
    if (beep !== undefined) return Promise.resolve({ after: 'beep', beep });
    if (this.#done) return Promise.resolve({ after: 'no-beep' });
    return new Promise((resolve) => {
      const onBeep = (b: BeepEvent): void => {
        this.off('done', onDone);
        resolve({ after: 'beep', beep: b });
      };
      const onDone = (): void => {
        this.off('beep', onBeep);
        resolve({ after: 'no-beep' });
      };
      this.once('beep', onBeep);
      this.once('done', onDone);
    });
  }

  /** Stops listening; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#deadline);
    this.#session.off('audio', this.#onAudio);
  }

  readonly #onDeadline = (): void => {
    this.#deadline = undefined;
    if (this.#closed || this.#decision !== undefined) return;
    const reason = this.analyzer.elapsedMs === 0 ? 'no-audio' : 'max-analysis-time';
    this.#emitAll(this.analyzer.forceUnknown(reason));
  };

  readonly #onAudio = (pcm: Int16Array): void => {
    if (this.#done) return;
    this.#emitAll(this.analyzer.push(pcm));
    if (this.analyzer.done) {
      this.#done = true;
      // Once done the analyzer's work is over; no need to decode the rest of the call.
      this.close();
      this.emit('done');
    }
  };

  #emitAll(events: readonly CallProgressEvent[]): void {
    for (const event of events) {
      if (event.type === 'decision') {
        this.#decision = event;
        this.emit('decision', event);
      } else if (event.type === 'beep') {
        this.#beep = event;
        this.emit('beep', event);
      } else {
        this.#sit ??= event;
        this.emit('sit', event);
      }
    }
  }
}
