import { TypedEventEmitter } from '../../kernel/index.js';
import type { Logger } from '../../log/index.js';
import type { Registration, RegistrationEvents, RegistrationState, RegistrationStatus } from '../engine.js';
import { SipFailure } from '../sip-failure.js';
import { trunkCredentials, type SipTrunk } from '../sip-trunk.js';
import { AuthenticatedRequest, type AuthenticatedResult } from './authenticated-request.js';
import type { NonceCache } from './auth/nonce-cache.js';
import { failureFromResponse } from './failure-from-response.js';
import { parseNameAddr } from './message/parse-name-addr.js';
import { parseUri } from './message/parse-uri.js';
import { createRequest, SipHeaders, type SipRequest, type SipResponse } from './message/sip-message.js';
import { registrationRefreshMs, registrationRetryMs } from '../registration-refresh.js';
import type { SipStack } from './sip-stack.js';
import { newCallId, newTag } from './transaction/branch.js';
import type { Clock, TimerHandle } from './transaction/sip-timers.js';
import type { RemoteAddress } from './transport/sip-transport.js';

export interface EmbeddedRegistrationInit {
  readonly trunk: SipTrunk;
  readonly stack: SipStack;
  readonly nonces: NonceCache;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly userAgent: string;
  /** Resolves the trunk's proxy each time (DNS answers change). */
  readonly resolve: () => Promise<RemoteAddress>;
  /** Our Contact header value for the trunk's transport. */
  readonly contact: string;
  /** First retry delay after a failed refresh. Default: 2000 ms. */
  readonly retryBaseMs?: number;
  /** Longest retry delay. Default: 300 000 ms. */
  readonly retryMaxMs?: number;
  readonly onClosed: () => void;
}

const MAX_423_RETRIES = 2;
const UNREGISTER_WAIT_MS = 5000;

/**
 * A registration binding kept fresh on the expiry the registrar granted (not the one asked for),
 * with 423 Min-Expires handled, retries with back-off after failures, and Expires: 0 on close.
 * One Call-ID and increasing CSeq for its whole life (RFC 3261 §10.2.4).
 */
export class EmbeddedRegistration extends TypedEventEmitter<RegistrationEvents> implements Registration {
  readonly #init: EmbeddedRegistrationInit;
  readonly #callId: string;
  readonly #fromTag = newTag();
  readonly #aor: string;
  #cseq = 0;
  #askExpiresSec: number;
  #status: RegistrationStatus;
  #timer: TimerHandle | undefined;
  #failures = 0;
  #closed = false;
  #inFlight: Promise<void> = Promise.resolve();

  constructor(init: EmbeddedRegistrationInit) {
    super();
    this.#init = init;
    this.#callId = newCallId(init.trunk.domain);
    this.#aor = `sip:${init.trunk.username ?? 'dialer'}@${init.trunk.domain}`;
    this.#askExpiresSec = init.trunk.registerExpiresSec ?? 3600;
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
          // A registrar that is down must not hold a shutdown for Timer F (32 s).
          await Promise.race([
            this.#send(0),
            new Promise((resolve) => this.#init.clock.setTimer(UNREGISTER_WAIT_MS, () => resolve(undefined))),
          ]);
        } catch (error) {
          this.#init.logger.warn({ err: error }, 'unregister got no answer');
        }
      }
      this.#setState('unregistered', {});
    });
    this.#init.onClosed();
    this.removeAllListeners();
  }

  #serialised(work: () => Promise<void>): Promise<void> {
    const next = this.#inFlight.then(work, work);
    this.#inFlight = next.catch(() => undefined);
    return next;
  }

  /** One registration round (with 423 handling). Returns the failure, if any, after scheduling what comes next. */
  async #register(): Promise<SipFailure | undefined> {
    const started = this.#init.clock.now();
    let result: AuthenticatedResult;
    let tooBrief = 0;
    try {
      for (;;) {
        result = await this.#send(this.#askExpiresSec);
        if (result.response.status !== 423 || tooBrief >= MAX_423_RETRIES) break;
        tooBrief += 1;
        const minExpires = Number(result.response.headers.get('Min-Expires'));
        if (!Number.isFinite(minExpires) || minExpires <= this.#askExpiresSec) break;
        this.#init.logger.info({ minExpires }, 'registrar asked for a longer expiry (423)');
        this.#askExpiresSec = minExpires;
      }
    } catch (error) {
      const failure =
        error instanceof SipFailure
          ? error
          : new SipFailure({
              status: 503,
              reason: 'Service Unavailable',
              phase: 'transport',
              local: true,
              cause: error,
            });
      this.#failed(failure, started, undefined);
      return failure;
    }
    const { response } = result;
    const elapsed = Math.round(this.#init.clock.now() - started);
    if (response.status >= 200 && response.status < 300) {
      const granted = this.#grantedExpires(response);
      this.#failures = 0;
      this.#setState('registered', {
        grantedExpiresSec: granted,
        expiresAt: Date.now() + granted * 1000,
        lastAttemptMs: elapsed,
        ...(result.challenge ? { challenge: result.challenge } : {}),
      });
      this.#schedule(registrationRefreshMs(granted));
      return undefined;
    }
    const failure = failureFromResponse(
      response,
      result.authRejected || response.status === 401 || response.status === 407 ? 'auth' : 'setup',
    );
    this.#failed(failure, started, result.challenge);
    return failure;
  }

  #failed(failure: SipFailure, started: number, challenge: string | undefined): void {
    this.#failures += 1;
    this.#init.logger.warn(
      { status: failure.status, reason: failure.reason, failures: this.#failures },
      'registration failed',
    );
    this.#setState('failed', {
      lastFailure: failure,
      lastAttemptMs: Math.round(this.#init.clock.now() - started),
      ...(challenge ? { challenge } : {}),
    });
    // Only a binding that once succeeded is retried here; a failed first attempt is the caller's call.
    if (this.#status.grantedExpiresSec !== undefined || this.#failures > 1) {
      this.#schedule(
        registrationRetryMs(
          this.#failures,
          this.#init.retryBaseMs ?? 2000,
          this.#init.retryMaxMs ?? 300_000,
          failure.retryAfterMs,
        ),
      );
    }
  }

  #schedule(ms: number): void {
    this.#timer?.cancel();
    if (this.#closed) return;
    this.#timer = this.#init.clock.setTimer(ms, () => {
      void this.#serialised(async () => {
        if (this.#closed) return;
        this.#setState('registering', {});
        await this.#register();
      });
    });
  }

  async #send(expiresSec: number): Promise<AuthenticatedResult> {
    const remote = await this.#init.resolve();
    const request = new AuthenticatedRequest({
      stack: this.#init.stack,
      nonces: this.#init.nonces,
      scope: this.#init.trunk.name,
      credentials: trunkCredentials(this.#init.trunk),
      remote,
      firstCSeq: this.#cseq + 1,
      logger: this.#init.logger,
      build: (cseq) => this.#build(cseq, expiresSec),
    });
    const result = await request.run();
    this.#cseq = result.cseq;
    return result;
  }

  #build(cseq: number, expiresSec: number): SipRequest {
    const headers = new SipHeaders();
    headers.append('Max-Forwards', '70');
    headers.append('From', `<${this.#aor}>;tag=${this.#fromTag}`);
    headers.append('To', `<${this.#aor}>`);
    headers.append('Call-ID', this.#callId);
    headers.append('CSeq', `${cseq} REGISTER`);
    headers.append('Contact', this.#init.contact);
    headers.append('Expires', String(expiresSec));
    headers.append('Allow', 'INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO');
    headers.append('User-Agent', this.#init.userAgent);
    return createRequest('REGISTER', `sip:${this.#init.trunk.domain}`, headers);
  }

  /** The expiry granted to our Contact: its `expires` param, else the Expires header, else what we asked. */
  #grantedExpires(response: SipResponse): number {
    const ours = parseUri(parseNameAddr(this.#init.contact).uri);
    for (const value of response.headers.getAll('Contact')) {
      try {
        const contact = parseNameAddr(value);
        const uri = parseUri(contact.uri);
        const expires = contact.params.get('expires');
        if (
          expires &&
          uri.host === ours.host &&
          (uri.port ?? 5060) === (ours.port ?? 5060) &&
          uri.user === ours.user
        ) {
          return Math.max(1, Number(expires));
        }
      } catch {
        // A registrar may list other bindings we cannot parse; ours is what matters.
      }
    }
    const header = Number(response.headers.get('Expires'));
    if (Number.isFinite(header) && header > 0) return header;
    return this.#askExpiresSec;
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
