import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { TypedEventEmitter } from '../../kernel/index.js';
import type { Logger } from '../../log/index.js';
import type { Registration, RegistrationEvents, RegistrationState, RegistrationStatus } from '../engine.js';
import { registrationRefreshMs, registrationRetryMs } from '../registration-refresh.js';
import { SipFailure } from '../sip-failure.js';
import { trunkCredentials, type SipTrunk } from '../sip-trunk.js';
import { failureFieldsOf, failureFromSrfError } from './failure-from-srf-error.js';
import { guardedDigestAuth } from './guarded-digest-auth.js';
import type { DigestChallengeInspection } from './inspect-digest-challenge.js';
import type { SrfApi, SrfResponse } from './srf-api.js';

export interface DrachtioRegistrationInit {
  readonly trunk: SipTrunk;
  readonly srf: SrfApi;
  /** `sip:host:port;transport=tcp`: where REGISTER goes. */
  readonly proxy: string;
  /** Our Contact for this trunk: drachtio-server's SIP address, which the carrier will call. */
  readonly contact: () => string;
  /** Waits for the control connection; false when it did not come back in time. */
  readonly connected: () => Promise<boolean>;
  readonly userAgent: string;
  readonly logger: Logger;
  /** Longest wait for a final response (64·T1). */
  readonly responseWaitMs: number;
  readonly retryBaseMs?: number;
  readonly retryMaxMs?: number;
  readonly onClosed: () => void;
}

const MAX_423_RETRIES = 2;
const UNREGISTER_WAIT_MS = 5000;

interface RoundResult {
  readonly response: SrfResponse;
  readonly challenge: DigestChallengeInspection | undefined;
}

/**
 * A binding kept fresh through drachtio-server, which has no registration client: REGISTER goes
 * out with `srf.request` (digest answered by drachtio-srf, once), and a timer re-sends it before
 * the Expires the registrar granted runs out. One Call-ID and growing CSeq for its whole life.
 */
export class DrachtioRegistration extends TypedEventEmitter<RegistrationEvents> implements Registration {
  readonly #init: DrachtioRegistrationInit;
  readonly #callId = `${randomBytes(12).toString('hex')}@sip-dialer`;
  readonly #fromTag = randomBytes(6).toString('hex');
  readonly #aor: string;
  #cseq = 0;
  #askExpiresSec: number;
  #status: RegistrationStatus;
  #timer: NodeJS.Timeout | undefined;
  #failures = 0;
  #closed = false;
  #inFlight: Promise<void> = Promise.resolve();

  constructor(init: DrachtioRegistrationInit) {
    super();
    this.#init = init;
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
    clearTimeout(this.#timer);
    await this.#serialised(async () => {
      if (this.#status.state === 'registered') {
        try {
          // A registrar (or drachtio-server) that is down must not hold a shutdown.
          await this.#send(0, UNREGISTER_WAIT_MS);
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

  async #register(): Promise<SipFailure | undefined> {
    const started = performance.now();
    let result: RoundResult;
    let tooBrief = 0;
    try {
      for (;;) {
        result = await this.#send(this.#askExpiresSec, this.#init.responseWaitMs);
        const { response } = result;
        if (response.status !== 423 || tooBrief >= MAX_423_RETRIES) break;
        tooBrief += 1;
        const minExpires = Number(response.get('Min-Expires'));
        if (!Number.isFinite(minExpires) || minExpires <= this.#askExpiresSec) break;
        this.#init.logger.info({ minExpires }, 'registrar asked for a longer expiry (423)');
        this.#askExpiresSec = minExpires;
      }
    } catch (error) {
      const failure =
        error instanceof SipFailure ? error : failureFromSrfError(error, { phase: 'transport' });
      this.#failed(failure, started, undefined);
      return failure;
    }
    const { response, challenge } = result;
    const lastAttemptMs = Math.round(performance.now() - started);
    if (response.status >= 200 && response.status < 300) {
      const granted = this.#grantedExpires(response);
      this.#failures = 0;
      this.#setState('registered', {
        grantedExpiresSec: granted,
        expiresAt: Date.now() + granted * 1000,
        lastAttemptMs,
        ...(challenge ? { challenge: challenge.summary } : {}),
      });
      this.#schedule(registrationRefreshMs(granted));
      return undefined;
    }
    const auth = response.status === 401 || response.status === 407;
    const unsupported =
      auth && challenge && !challenge.md5Offered ? challenge.algorithms.join(', ') : undefined;
    const failure = new SipFailure({
      status: response.status,
      reason: unsupported
        ? `${response.reason}; the registrar asks for digest ${unsupported}, drachtio-srf computes MD5 only`
        : response.reason,
      phase: auth ? 'auth' : 'setup',
      ...failureFieldsOf(response),
      ...(unsupported ? { unsupportedAlgorithm: unsupported } : {}),
    });
    this.#failed(failure, started, challenge?.summary);
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
      lastAttemptMs: Math.round(performance.now() - started),
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
    clearTimeout(this.#timer);
    if (this.#closed) return;
    this.#timer = setTimeout(() => {
      void this.#serialised(async () => {
        if (this.#closed) return;
        this.#setState('registering', {});
        await this.#register();
      });
    }, ms);
  }

  /** One REGISTER (plus the credentialled re-send drachtio-srf makes) → its final response. */
  async #send(expiresSec: number, waitMs: number): Promise<RoundResult> {
    if (!(await this.#init.connected())) {
      throw new SipFailure({
        status: 503,
        reason: 'drachtio-server is not connected',
        phase: 'transport',
        local: true,
      });
    }
    let challenge: DigestChallengeInspection | undefined;
    const credentials = trunkCredentials(this.#init.trunk);
    this.#cseq += 1;
    const request = await this.#init.srf.request(`sip:${this.#init.trunk.domain}`, {
      method: 'REGISTER',
      proxy: this.#init.proxy,
      headers: {
        From: `<${this.#aor}>;tag=${this.#fromTag}`,
        To: `<${this.#aor}>`,
        'Call-ID': this.#callId,
        CSeq: `${this.#cseq} REGISTER`,
        Contact: this.#init.contact(),
        Expires: String(expiresSec),
        'User-Agent': this.#init.userAgent,
      },
      ...(credentials
        ? { auth: guardedDigestAuth(credentials, (inspection) => (challenge = inspection)) }
        : {}),
    });
    const response = await new Promise<SrfResponse>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new SipFailure({ status: 408, reason: 'Request Timeout', phase: 'transport', local: true })),
        waitMs,
      );
      // drachtio-srf moves this listener to the credentialled re-send, so only its answer comes here.
      request.on('response', (res) => {
        if (res.status < 200) return;
        clearTimeout(timer);
        resolve(res);
      });
    });
    const cseq = Number.parseInt(response.get('CSeq') ?? '', 10);
    if (Number.isFinite(cseq) && cseq > this.#cseq) this.#cseq = cseq;
    return { response, challenge };
  }

  /** The expiry granted to our Contact: its `expires` param, else the Expires header, else what we asked. */
  #grantedExpires(response: SrfResponse): number {
    const ours = contactKey(this.#init.contact());
    if (response.has('Contact')) {
      try {
        const contacts = response.getParsedHeader('Contact');
        const mine =
          contacts.find((c) => contactKey(c.uri) === ours) ??
          (contacts.length === 1 ? contacts[0] : undefined);
        const expires = Number(mine?.params.expires);
        if (Number.isFinite(expires) && expires > 0) return expires;
      } catch {
        // A registrar may list bindings drachtio-srf cannot parse; fall back to Expires.
      }
    }
    const header = Number(response.get('Expires'));
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

/** `<sip:u@1.2.3.4:5060;transport=tcp>` → `u@1.2.3.4:5060`, to find our binding among several. */
function contactKey(value: string): string {
  const uri = /<([^>]*)>/.exec(value)?.[1] ?? value;
  const match = /^sips?:(?:([^@;]*)@)?([^;>?]+)/i.exec(uri.trim());
  if (!match) return uri;
  const hostport = (match[2] ?? '').toLowerCase();
  return `${match[1] ?? ''}@${/:\d+$/.test(hostport) ? hostport : `${hostport}:5060`}`;
}
