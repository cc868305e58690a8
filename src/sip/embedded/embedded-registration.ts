import { isIP } from 'node:net';
import type { Logger } from '../../log/index.js';
import type { Clock } from '../clock.js';
import { RegistrationLoop, type RegisterAnswer, type RegisterAttempt } from '../registration-loop.js';
import { trunkCredentials, type SipTrunk } from '../sip-trunk.js';
import { AuthenticatedRequest } from './authenticated-request.js';
import type { NonceCache } from './auth/nonce-cache.js';
import { failureFromResponse } from './failure-from-response.js';
import { parseNameAddr } from './message/parse-name-addr.js';
import { parseUri } from './message/parse-uri.js';
import { parseVia } from './message/parse-via.js';
import { createRequest, SipHeaders, type SipRequest, type SipResponse } from './message/sip-message.js';
import type { SipStack } from './sip-stack.js';
import { newCallId, newTag } from './transaction/branch.js';
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
  /** Our Contact header value for the trunk's transport, as it stands now (NAT may change it). */
  readonly contact: () => string;
  /**
   * RFC 3581: the registrar saw the REGISTER come from `address` (its Via `received`/`rport`),
   * not from our Contact. Returns true when that changed the Contact: it is registered at once.
   * Absent: the Contact is never changed.
   */
  readonly onPublicAddress?: (address: { readonly host: string; readonly port: number }) => boolean;
  readonly retryBaseMs?: number;
  readonly retryMaxMs?: number;
  readonly onClosed: () => void;
}

/** A trunk's registration, kept by the engine-neutral loop over this engine's own transactions. */
export function createEmbeddedRegistration(init: EmbeddedRegistrationInit): RegistrationLoop {
  const { trunk, clock, logger, retryBaseMs, retryMaxMs, onClosed } = init;
  const sender = new EmbeddedRegisterSender(init);
  return new RegistrationLoop({
    trunk,
    clock,
    logger,
    onClosed,
    send: (attempt) => sender.send(attempt),
    ...(retryBaseMs !== undefined ? { retryBaseMs } : {}),
    ...(retryMaxMs !== undefined ? { retryMaxMs } : {}),
  });
}

/** One REGISTER at a time through AuthenticatedRequest (digest answered, nonce cached), one Call-ID for life. */
class EmbeddedRegisterSender {
  readonly #init: EmbeddedRegistrationInit;
  readonly #callId: string;
  readonly #fromTag = newTag();
  readonly #aor: string;
  readonly #scheme: 'sip' | 'sips';
  #cseq = 0;
  /** The Contact of the REGISTER last built, and the 2xx it last got. */
  #sentContact = '';
  #lastOk: SipResponse | undefined;

  constructor(init: EmbeddedRegistrationInit) {
    this.#init = init;
    this.#callId = newCallId(init.trunk.domain);
    this.#scheme = init.trunk.sips === true ? 'sips' : 'sip';
    this.#aor = `${this.#scheme}:${init.trunk.username ?? 'dialer'}@${init.trunk.domain}`;
  }

  // The signal is not needed: the transaction ends by itself on Timer F.
  async send(attempt: RegisterAttempt): Promise<RegisterAnswer> {
    const answer = await this.#sendOnce(attempt);
    // Once per answer, so a registrar that keeps reporting a new address cannot loop us.
    if (answer.ok && attempt.expiresSec > 0 && this.#learnPublicAddress()) return this.#sendOnce(attempt);
    return answer;
  }

  /** Whether the last 2xx's Via says the registrar saw us elsewhere, and the Contact now says so. */
  #learnPublicAddress(): boolean {
    const response = this.#lastOk;
    const onPublic = this.#init.onPublicAddress;
    if (response === undefined || onPublic === undefined) return false;
    let via;
    let contact;
    try {
      via = parseVia(response.headers.getAll('Via')[0] ?? '');
      contact = parseUri(parseNameAddr(this.#sentContact).uri);
    } catch {
      // A Via we cannot read teaches nothing; the registration itself stands.
      return false;
    }
    const received = via.params.get('received') ?? '';
    const rport = Number(via.params.get('rport') ?? '');
    const host = isIP(received) !== 0 ? received : contact.host;
    const port = Number.isInteger(rport) && rport >= 1 && rport <= 65535 ? rport : (contact.port ?? 5060);
    if (host === contact.host && port === (contact.port ?? 5060)) return false;
    return onPublic({ host, port });
  }

  async #sendOnce({ expiresSec }: RegisterAttempt): Promise<RegisterAnswer> {
    this.#lastOk = undefined;
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
    const { response } = result;
    const challenge = result.challenge ? { challenge: result.challenge } : {};
    if (response.status >= 200 && response.status < 300) {
      this.#lastOk = response;
      const granted = this.#grantedExpires(response);
      return { ok: true, ...(granted !== undefined ? { grantedExpiresSec: granted } : {}), ...challenge };
    }
    const auth = result.authRejected || response.status === 401 || response.status === 407;
    return {
      ok: false,
      failure: failureFromResponse(response, auth ? 'auth' : 'setup'),
      minExpiresSec: Number(response.headers.get('Min-Expires')),
      ...challenge,
    };
  }

  #build(cseq: number, expiresSec: number): SipRequest {
    const headers = new SipHeaders();
    headers.append('Max-Forwards', '70');
    headers.append('From', `<${this.#aor}>;tag=${this.#fromTag}`);
    headers.append('To', `<${this.#aor}>`);
    headers.append('Call-ID', this.#callId);
    headers.append('CSeq', `${cseq} REGISTER`);
    this.#sentContact = this.#init.contact();
    headers.append('Contact', this.#sentContact);
    headers.append('Expires', String(expiresSec));
    headers.append('Allow', 'INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO');
    headers.append('User-Agent', this.#init.userAgent);
    return createRequest('REGISTER', `${this.#scheme}:${this.#init.trunk.domain}`, headers);
  }

  /** The expiry granted to our Contact: its `expires` param, else the Expires header. */
  #grantedExpires(response: SipResponse): number | undefined {
    const ours = parseUri(parseNameAddr(this.#sentContact).uri);
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
    return undefined;
  }
}
