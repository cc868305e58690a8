import { TlsCertificateRejectedError } from './transport/tls-certificate-rejected-error.js';
import type { Logger } from '../../log/index.js';
import { SipFailure } from '../sip-failure.js';
import { buildDigestAuthorization, createCnonce } from './auth/digest-authorization.js';
import { authorizationHeaderName, challengeHeaderName, challengeKind } from './auth/digest-authenticator.js';
import { pickChallenge, type DigestChallenge } from './auth/digest-challenge.js';
import type { FirstChallengeGate, FirstChallengeTicket } from './auth/first-challenge-gate.js';
import type { DigestKind, NonceCache } from './auth/nonce-cache.js';
import { UnsupportedDigestAlgorithmError } from './auth/unsupported-digest-algorithm-error.js';
import { parseCSeq } from './message/parse-cseq.js';
import { createRequest, SipHeaders, type SipRequest, type SipResponse } from './message/sip-message.js';
import type { SipStack } from './sip-stack.js';
import type { ClientTransaction } from './transaction/client-transaction.js';
import type { InviteClientTransaction } from './transaction/invite-client-transaction.js';
import type { TimerHandle } from './transaction/sip-timers.js';
import type { RemoteAddress } from './transport/sip-transport.js';

export interface AuthenticatedRequestInit {
  readonly stack: SipStack;
  readonly nonces: NonceCache;
  /** Nonce-cache scope, normally the trunk name. */
  readonly scope: string;
  readonly credentials: { username: string; password: string } | undefined;
  /** When given, the first request of the scope with no usable nonce goes alone (see the gate). */
  readonly firstChallenge?: FirstChallengeGate;
  readonly remote: RemoteAddress;
  /** Builds the request (without Via) for a CSeq number. Every re-send keeps Call-ID and From tag. */
  readonly build: (cseq: number) => SipRequest;
  readonly firstCSeq: number;
  readonly logger: Logger;
  readonly onProvisional?: (response: SipResponse) => void;
  /** A 2xx retransmitted (or from another fork) after the first final: the dialog ACKs it. */
  readonly onLate2xx?: (response: SipResponse) => void;
}

export interface AuthenticatedResult {
  /** The final response (any status). */
  readonly response: SipResponse;
  /** The request that got it. */
  readonly request: SipRequest;
  /** How many requests went out (2 when a challenge had to be answered). */
  readonly sent: number;
  /** The carrier rejected credentials that answered its own fresh challenge. */
  readonly authRejected: boolean;
  /** The request that got the final response carried credentials (cached or answering a challenge). */
  readonly credentialsSent: boolean;
  /** Last challenge seen, summarised for operators: `401 realm="x" algorithm=MD5 qop=auth`. */
  readonly challenge: string | undefined;
  /** Last CSeq number used, so the dialog continues from it. */
  readonly cseq: number;
  /** A provisional response above 100 came back: the far end was ringing or in early media. */
  readonly heardRinging: boolean;
}

const MAX_SENDS = 4;

/**
 * Sends a request and answers 401/407 digest challenges (RFC 3261 §22.2): credentials from the
 * nonce cache go up front; a rejected cached nonce falls back to the fresh challenge; `stale=true`
 * earns one more try; credentials rejected after a fresh challenge end it, never a loop.
 * For INVITE it also carries CANCEL, sent only once the peer has answered provisionally (§9.1).
 */
export class AuthenticatedRequest {
  readonly #init: AuthenticatedRequestInit;
  #transaction: ClientTransaction | undefined;
  /** Ends the current INVITE as cancelled when no final response follows our CANCEL. */
  #abandon: (() => void) | undefined;
  #abandonTimer: TimerHandle | undefined;
  #cancelRequested = false;
  #cancelSent = false;
  #heardProvisional = false;
  #heardRinging = false;
  #lastChallenge: string | undefined;
  #lastAttached: readonly DigestKind[] = [];
  #ticket: FirstChallengeTicket | undefined;

  constructor(init: AuthenticatedRequestInit) {
    this.#init = init;
  }

  get cancelRequested(): boolean {
    return this.#cancelRequested;
  }

  /** Resolves with the final response, or rejects with a SipFailure for local failures. */
  async run(): Promise<AuthenticatedResult> {
    try {
      return await this.#run();
    } finally {
      this.#ticket?.release();
    }
  }

  async #run(): Promise<AuthenticatedResult> {
    const init = this.#init;
    const freshNonces = new Set<string>();
    let cseq = init.firstCSeq;
    let sent = 0;
    let staleRetried = false;
    for (;;) {
      const request = init.build(cseq);
      if (sent === 0 && init.firstChallenge !== undefined && init.credentials !== undefined) {
        // Waiting before attaching: a waiter woken by the leader's challenge signs with its nonce.
        this.#ticket = await init.firstChallenge.enter(init.scope, request.method);
      }
      const attached = this.#attachCredentials(request);
      sent += 1;
      const response = await this.#transact(request);
      if (response.status !== 401 && response.status !== 407) {
        this.#ticket?.learned(this.#lastAttached);
        return this.#result(response, request, sent, false, cseq);
      }
      const answeredFresh = attached.some((nonce) => freshNonces.has(nonce));
      if (init.credentials === undefined || this.#cancelRequested) {
        return this.#result(response, request, sent, answeredFresh, cseq);
      }
      const challenge = this.#readChallenge(response);
      this.#lastChallenge = describeChallenge(response.status, challenge);
      if (answeredFresh) {
        if (!challenge.stale || staleRetried) {
          init.nonces.forget(init.scope, challengeKind(response.status));
          return this.#result(response, request, sent, true, cseq);
        }
        staleRetried = true;
      }
      if (sent >= MAX_SENDS) return this.#result(response, request, sent, true, cseq);
      init.nonces.remember(init.scope, challengeKind(response.status), challenge);
      this.#ticket?.learned([challengeKind(response.status)]);
      freshNonces.add(challenge.nonce);
      cseq += 1;
    }
  }

  /** Asks for CANCEL: sent now if the peer answered provisionally, else as soon as it does. */
  cancel(): void {
    this.#cancelRequested = true;
    if (this.#heardProvisional) this.#sendCancel();
  }

  #readChallenge(response: SipResponse): DigestChallenge {
    const values = response.headers.getAll(challengeHeaderName(response.status as 401 | 407));
    try {
      return pickChallenge(values);
    } catch (error) {
      throw new SipFailure({
        status: response.status,
        reason: response.reason,
        phase: 'auth',
        headers: response.headers.toRecord(),
        ...(error instanceof UnsupportedDigestAlgorithmError
          ? { unsupportedAlgorithm: error.algorithm }
          : {}),
        cause: error,
      });
    }
  }

  /** Adds every cached credential for the scope; returns the nonces used. */
  #attachCredentials(request: SipRequest): string[] {
    const credentials = this.#init.credentials;
    if (credentials === undefined) return [];
    const used: string[] = [];
    const kinds: DigestKind[] = [];
    this.#lastAttached = kinds;
    for (const entry of this.#init.nonces.next(this.#init.scope)) {
      kinds.push(entry.kind);
      request.headers.append(
        authorizationHeaderName(entry.kind),
        buildDigestAuthorization({
          challenge: entry.challenge,
          method: request.method,
          uri: request.uri,
          username: credentials.username,
          password: credentials.password,
          nc: entry.nc,
          cnonce: createCnonce(),
          body: request.body,
        }),
      );
      used.push(entry.challenge.nonce);
    }
    return used;
  }

  #transact(request: SipRequest): Promise<SipResponse> {
    this.#heardProvisional = false;
    this.#heardRinging = false;
    this.#cancelSent = false;
    let gotFinal = false;
    return new Promise<SipResponse>((resolve, reject) => {
      const transaction = this.#init.stack.startTransaction(request, this.#init.remote, {
        onResponse: (response) => {
          if (response.status < 200) {
            this.#heardProvisional = true;
            if (this.#cancelRequested) this.#sendCancel();
            if (response.status > 100) {
              // Ringing means what we sent was let through: the waiters may go as we went.
              this.#ticket?.learned(this.#lastAttached);
              this.#heardRinging = true;
              this.#init.onProvisional?.(response);
            }
            return;
          }
          // 2xx retransmissions reach here too (RFC 6026 Accepted state); only the first settles.
          if (gotFinal) {
            if (response.status < 300) this.#init.onLate2xx?.(response);
            return;
          }
          gotFinal = true;
          this.#abandonTimer?.cancel();
          resolve(response);
        },
        onTimeout: () =>
          reject(
            new SipFailure({
              status: 408,
              reason: 'Request Timeout',
              phase: this.#heardRinging ? 'ringing' : 'transport',
              local: true,
            }),
          ),
        onTransportError: (error) =>
          reject(
            new SipFailure({
              status: 503,
              // A carrier whose certificate we refuse is a trunk to fix, not a blip: say so.
              reason: error instanceof TlsCertificateRejectedError ? error.message : 'Service Unavailable',
              phase: 'transport',
              local: true,
              cause: error,
            }),
          ),
      });
      this.#transaction = transaction;
      // RFC 3261 §9.1: once CANCEL is out, an INVITE with no final response within 64·T1 is
      // considered cancelled. Without this a carrier that never answers the INVITE after our
      // CANCEL (its 487 lost, or sent for the wrong transaction) holds the call, its channel and
      // its job forever: the chaos run found 19 of 305 jobs stuck that way.
      this.#abandon = () => {
        if (gotFinal) return;
        gotFinal = true;
        transaction.terminate();
        reject(
          new SipFailure({
            status: 487,
            reason: 'Request Terminated (no final response after CANCEL)',
            phase: this.#heardRinging ? 'ringing' : 'setup',
            local: true,
          }),
        );
      };
    });
  }

  #sendCancel(): void {
    const transaction = this.#transaction as InviteClientTransaction | undefined;
    if (!transaction || this.#cancelSent || transaction.method !== 'INVITE' || transaction.lastStatus >= 200)
      return;
    this.#cancelSent = true;
    const abandon = this.#abandon;
    this.#abandonTimer?.cancel();
    this.#abandonTimer = this.#init.stack.clock.setTimer(64 * this.#init.stack.timers.t1, () => abandon?.());
    const cancel = buildCancel(transaction.request);
    this.#init.stack.startTransaction(
      cancel,
      transaction.remote,
      {
        onResponse: () => undefined,
        onTimeout: () => this.#init.logger.debug('CANCEL got no response'),
        onTransportError: (error) => this.#init.logger.debug({ err: error }, 'CANCEL could not be sent'),
      },
      transaction.branch,
    );
  }

  #result(
    response: SipResponse,
    request: SipRequest,
    sent: number,
    authRejected: boolean,
    cseq: number,
  ): AuthenticatedResult {
    return {
      response,
      request,
      sent,
      authRejected,
      credentialsSent: request.headers.has('Authorization') || request.headers.has('Proxy-Authorization'),
      challenge: this.#lastChallenge,
      cseq,
      heardRinging: this.#heardRinging,
    };
  }
}

/** RFC 3261 §9.1: same Request-URI, Call-ID, From, To, CSeq number and Route as the INVITE. */
function buildCancel(invite: SipRequest): SipRequest {
  const headers = new SipHeaders();
  headers.append('Max-Forwards', '70');
  for (const route of invite.headers.getAll('Route')) headers.append('Route', route);
  headers.append('From', invite.headers.get('From') ?? '');
  headers.append('To', invite.headers.get('To') ?? '');
  headers.append('Call-ID', invite.headers.get('Call-ID') ?? '');
  headers.append('CSeq', `${parseCSeq(invite.headers.get('CSeq') ?? '').seq} CANCEL`);
  return createRequest('CANCEL', invite.uri, headers);
}

function describeChallenge(status: number, challenge: DigestChallenge): string {
  const qop = challenge.qop.length > 0 ? ` qop=${challenge.qop.join(',')}` : '';
  return `${status} realm="${challenge.realm}" algorithm=${challenge.algorithm}${qop}${challenge.stale ? ' stale=true' : ''}`;
}
