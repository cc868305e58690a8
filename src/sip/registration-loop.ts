import { TypedEventEmitter } from '../kernel/index.js';
import type { Logger } from '../log/index.js';
import { systemClock, type Clock, type TimerHandle } from './clock.js';
import type { Registration, RegistrationEvents, RegistrationState, RegistrationStatus } from './engine.js';
import { registrationRefreshMs, registrationRetryMs } from './registration-refresh.js';
import { SipFailure } from './sip-failure.js';
import type { SipTrunk } from './sip-trunk.js';

/** The registration loop's defaults, the one place they are written. */
export const REGISTRATION_DEFAULTS = Object.freeze({
  /** Asked for when the trunk names no expiry, seconds. */
  expiresSec: 3600,
  /** First retry delay after a failed refresh, ms. */
  retryBaseMs: 2000,
  /** Longest retry delay, ms. */
  retryMaxMs: 300_000,
  /** How many times a 423 Interval Too Brief is answered with its Min-Expires in one round. */
  max423Retries: 2,
  /** Longest an unregister waits for its answer: a registrar that is down must not hold a shutdown. */
  unregisterWaitMs: 5000,
});

/** The final answer to one REGISTER, as the engine read it off its wire. */
export type RegisterAnswer =
  | {
      readonly ok: true;
      /** The expiry granted to our Contact; absent when the answer names none (what we asked stands). */
      readonly grantedExpiresSec?: number;
      /** The digest challenge answered on the way: `401 realm="…" algorithm=MD5 qop=auth`. */
      readonly challenge?: string;
    }
  | {
      readonly ok: false;
      readonly failure: SipFailure;
      /** The Min-Expires header of a 423, as a number (NaN when absent or not one). */
      readonly minExpiresSec?: number;
      readonly challenge?: string;
    };

export interface RegisterAttempt {
  /** The Expires to ask for; 0 removes the binding. */
  readonly expiresSec: number;
  /** Aborted when the loop stops waiting (a bounded unregister), so the engine can drop its timers. */
  readonly signal?: AbortSignal;
}

/**
 * One engine's way of sending one REGISTER (answering a digest challenge as it does for any
 * request) and reading its final answer. It keeps the Call-ID and CSeq: one Call-ID and growing
 * CSeq for the binding's whole life (RFC 3261 §10.2.4). It rejects when no answer came.
 */
export type SendRegister = (attempt: RegisterAttempt) => Promise<RegisterAnswer>;

export interface RegistrationLoopInit {
  readonly trunk: SipTrunk;
  readonly send: SendRegister;
  readonly logger: Logger;
  /** Default: real time. */
  readonly clock?: Clock;
  /** Turns what `send` rejected with into a failure, when it is not already a SipFailure. */
  readonly failureOf?: (error: unknown) => SipFailure;
  readonly retryBaseMs?: number;
  readonly retryMaxMs?: number;
  /** Called once, after the unregister. */
  readonly onClosed: () => void;
}

/**
 * A registration binding kept fresh on the expiry the registrar granted (not the one asked for),
 * with 423 Min-Expires handled, retries with back-off (never before Retry-After) after failures,
 * a `state` event at each change (what the worker logs and counts), and Expires: 0 on close.
 * Engine-neutral: the wire is the engine's `send`.
 */
export class RegistrationLoop extends TypedEventEmitter<RegistrationEvents> implements Registration {
  readonly #init: RegistrationLoopInit;
  readonly #clock: Clock;
  #askExpiresSec: number;
  #status: RegistrationStatus;
  #timer: TimerHandle | undefined;
  #failures = 0;
  #closed = false;
  #inFlight: Promise<void> = Promise.resolve();

  constructor(init: RegistrationLoopInit) {
    super();
    this.#init = init;
    this.#clock = init.clock ?? systemClock;
    this.#askExpiresSec = init.trunk.registerExpiresSec ?? REGISTRATION_DEFAULTS.expiresSec;
    this.#status = { trunk: init.trunk.name, state: 'registering' };
  }

  get status(): RegistrationStatus {
    return this.#status;
  }

  /** First REGISTER: resolves when bound, rejects with the SipFailure otherwise. */
  async start(): Promise<void> {
    await this.#serialised(async () => {
      const failure = await this.#register();
      if (failure) throw failure;
    });
  }

  async unregister(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#timer?.cancel();
    await this.#serialised(async () => {
      if (this.#status.state === 'registered') {
        try {
          await this.#boundedUnregister();
        } catch (error) {
          this.#init.logger.warn({ err: error }, 'unregister got no answer');
        }
      }
      this.#setState('unregistered', {});
    });
    this.#init.onClosed();
    this.removeAllListeners();
  }

  close(): Promise<void> {
    return this.unregister();
  }

  /**
   * REGISTER again now instead of at the scheduled refresh: the connection the binding was made
   * on is gone (TLS/TCP), and the registrar reaches us only on a new one. A round in flight runs
   * first; no-op once unregistered.
   */
  refreshNow(): void {
    if (this.#closed) return;
    // Queued behind the round in flight (which may be failing on the lost connection right now
    // and scheduling a back-off retry): this round runs next, and its success replaces that retry.
    void this.#serialised(async () => {
      if (this.#closed) return;
      this.#setState('registering', {});
      await this.#register();
    });
  }

  async #boundedUnregister(): Promise<void> {
    const waitMs = REGISTRATION_DEFAULTS.unregisterWaitMs;
    const stop = new AbortController();
    let giveUp: (failure: SipFailure) => void = () => undefined;
    const gaveUp = new Promise<never>((_, reject) => (giveUp = reject));
    const timer = this.#clock.setTimer(waitMs, () => {
      stop.abort();
      giveUp(
        new SipFailure({
          status: 408,
          reason: `Request Timeout: no answer to the unregister within ${waitMs} ms`,
          phase: 'transport',
          local: true,
        }),
      );
    });
    try {
      await Promise.race([this.#init.send({ expiresSec: 0, signal: stop.signal }), gaveUp]);
    } finally {
      timer.cancel();
    }
  }

  #serialised(work: () => Promise<void>): Promise<void> {
    const next = this.#inFlight.then(work, work);
    this.#inFlight = next.catch(() => undefined);
    return next;
  }

  /** One registration round (with 423 handling). Returns the failure, if any, after scheduling what comes next. */
  async #register(): Promise<SipFailure | undefined> {
    const started = this.#clock.now();
    let answer: RegisterAnswer;
    let tooBrief = 0;
    try {
      for (;;) {
        answer = await this.#init.send({ expiresSec: this.#askExpiresSec });
        if (answer.ok || answer.failure.status !== 423 || tooBrief >= REGISTRATION_DEFAULTS.max423Retries)
          break;
        tooBrief += 1;
        const minExpires = answer.minExpiresSec ?? Number.NaN;
        if (!Number.isFinite(minExpires) || minExpires <= this.#askExpiresSec) break;
        this.#init.logger.info({ minExpires }, 'registrar asked for a longer expiry (423)');
        this.#askExpiresSec = minExpires;
      }
    } catch (error) {
      const failure = this.#failureOf(error);
      this.#failed(failure, started, undefined);
      return failure;
    }
    if (!answer.ok) {
      this.#failed(answer.failure, started, answer.challenge);
      return answer.failure;
    }
    const granted = answer.grantedExpiresSec ?? this.#askExpiresSec;
    this.#failures = 0;
    this.#setState('registered', {
      grantedExpiresSec: granted,
      expiresAt: Date.now() + granted * 1000,
      lastAttemptMs: Math.round(this.#clock.now() - started),
      ...(answer.challenge ? { challenge: answer.challenge } : {}),
    });
    this.#schedule(registrationRefreshMs(granted));
    return undefined;
  }

  #failureOf(error: unknown): SipFailure {
    if (error instanceof SipFailure) return error;
    if (this.#init.failureOf) return this.#init.failureOf(error);
    return new SipFailure({
      status: 503,
      reason: 'Service Unavailable',
      phase: 'transport',
      local: true,
      cause: error,
    });
  }

  #failed(failure: SipFailure, started: number, challenge: string | undefined): void {
    this.#failures += 1;
    this.#init.logger.warn(
      { status: failure.status, reason: failure.reason, failures: this.#failures },
      'registration failed',
    );
    this.#setState('failed', {
      lastFailure: failure,
      lastAttemptMs: Math.round(this.#clock.now() - started),
      ...(challenge ? { challenge } : {}),
    });
    // Only a binding that once succeeded is retried here; a failed first attempt is the caller's call.
    if (this.#status.grantedExpiresSec !== undefined || this.#failures > 1) {
      this.#schedule(
        registrationRetryMs(
          this.#failures,
          this.#init.retryBaseMs ?? REGISTRATION_DEFAULTS.retryBaseMs,
          this.#init.retryMaxMs ?? REGISTRATION_DEFAULTS.retryMaxMs,
          failure.retryAfterMs,
        ),
      );
    }
  }

  #schedule(ms: number): void {
    this.#timer?.cancel();
    if (this.#closed) return;
    this.#timer = this.#clock.setTimer(ms, () => {
      void this.#serialised(async () => {
        if (this.#closed) return;
        this.#setState('registering', {});
        await this.#register();
      });
    });
  }

  #setState(state: RegistrationState, extra: Partial<RegistrationStatus>): void {
    const keep =
      state === 'failed' || state === 'registering'
        ? { grantedExpiresSec: this.#status.grantedExpiresSec, expiresAt: this.#status.expiresAt }
        : {};
    this.#status = Object.freeze({
      trunk: this.#init.trunk.name,
      state,
      ...keep,
      ...extra,
    }) as RegistrationStatus;
    this.emit('state', this.#status);
  }
}
