import { randomBytes } from 'node:crypto';
import type { Logger } from '../../log/index.js';
import { RegistrationLoop, type RegisterAnswer, type RegisterAttempt } from '../registration-loop.js';
import { SipFailure } from '../sip-failure.js';
import { trunkCredentials, type SipTrunk } from '../sip-trunk.js';
import { failureFieldsOf, failureFromSrfError } from './failure-from-srf-error.js';
import { guardedDigestAuth } from './guarded-digest-auth.js';
import type { DigestChallengeInspection } from './inspect-digest-challenge.js';
import type { SrfApi, SrfResponse } from './srf-api.js';

export interface DrachtioRegistrationInit {
  readonly trunk: SipTrunk;
  readonly srf: SrfApi;
  /** `sip:host:port;transport=tcp` (or `;transport=tls`, or `sips:host`): where REGISTER goes. */
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

/**
 * A trunk's registration through drachtio-server, which has no registration client: the
 * engine-neutral loop keeps the binding, and each REGISTER goes out with `srf.request`.
 */
export function createDrachtioRegistration(init: DrachtioRegistrationInit): RegistrationLoop {
  const { trunk, logger, retryBaseMs, retryMaxMs, onClosed } = init;
  const sender = new DrachtioRegisterSender(init);
  return new RegistrationLoop({
    trunk,
    logger,
    onClosed,
    send: (attempt) => sender.send(attempt),
    failureOf: (error) => failureFromSrfError(error, { phase: 'transport' }),
    ...(retryBaseMs !== undefined ? { retryBaseMs } : {}),
    ...(retryMaxMs !== undefined ? { retryMaxMs } : {}),
  });
}

/** One REGISTER (digest answered by drachtio-srf, once) per call; one Call-ID and growing CSeq for life. */
class DrachtioRegisterSender {
  readonly #init: DrachtioRegistrationInit;
  readonly #callId = `${randomBytes(12).toString('hex')}@sip-dialer`;
  readonly #fromTag = randomBytes(6).toString('hex');
  readonly #scheme: 'sip' | 'sips';
  readonly #aor: string;
  #cseq = 0;

  constructor(init: DrachtioRegistrationInit) {
    this.#init = init;
    this.#scheme = init.trunk.sips === true ? 'sips' : 'sip';
    this.#aor = `${this.#scheme}:${init.trunk.username ?? 'dialer'}@${init.trunk.domain}`;
  }

  async send({ expiresSec, signal }: RegisterAttempt): Promise<RegisterAnswer> {
    const { response, challenge } = await this.#request(expiresSec, signal);
    const summary = challenge ? { challenge: challenge.summary } : {};
    if (response.status >= 200 && response.status < 300) {
      const granted = this.#grantedExpires(response);
      return { ok: true, ...(granted !== undefined ? { grantedExpiresSec: granted } : {}), ...summary };
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
    return { ok: false, failure, minExpiresSec: Number(response.get('Min-Expires')), ...summary };
  }

  /** One REGISTER (plus the credentialled re-send drachtio-srf makes) → its final response. */
  async #request(
    expiresSec: number,
    signal: AbortSignal | undefined,
  ): Promise<{ response: SrfResponse; challenge: DigestChallengeInspection | undefined }> {
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
    const options = {
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
    };
    const response = await new Promise<SrfResponse>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const fail = (error: unknown): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', timedOut);
        reject(error);
      };
      const timedOut = (): void =>
        fail(new SipFailure({ status: 408, reason: 'Request Timeout', phase: 'transport', local: true }));
      // The loop stopped waiting (a bounded unregister): no timer of ours outlives it.
      if (signal?.aborted) return timedOut();
      signal?.addEventListener('abort', timedOut, { once: true });
      // The callback form, so the listener is on before an answer that comes in the same read.
      this.#init.srf.request(`${this.#scheme}:${this.#init.trunk.domain}`, options, (err, request) => {
        if (err || !request) return fail(err ?? new Error('drachtio-srf sent no request'));
        timer = setTimeout(timedOut, this.#init.responseWaitMs);
        // drachtio-srf moves this listener to the credentialled re-send, so only its answer comes here.
        request.on('response', (res) => {
          if (res.status < 200) return;
          clearTimeout(timer);
          signal?.removeEventListener('abort', timedOut);
          resolve(res);
        });
      });
    });
    const cseq = Number.parseInt(response.get('CSeq') ?? '', 10);
    if (Number.isFinite(cseq) && cseq > this.#cseq) this.#cseq = cseq;
    return { response, challenge };
  }

  /** The expiry granted to our Contact: its `expires` param, else the Expires header. */
  #grantedExpires(response: SrfResponse): number | undefined {
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
    return undefined;
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
