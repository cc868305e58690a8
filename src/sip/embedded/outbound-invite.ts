import { performance } from 'node:perf_hooks';
import type { Logger } from '../../log/index.js';
import { callerAttestationOf } from '../caller-attestation.js';
import type { InviteOptions } from '../engine.js';
import { SipFailure } from '../sip-failure.js';
import { trunkCredentials, type SipTrunk } from '../sip-trunk.js';
import type { FirstChallengeGate } from './auth/first-challenge-gate.js';
import type { NonceCache } from './auth/nonce-cache.js';
import { AuthenticatedRequest, type AuthenticatedResult } from './authenticated-request.js';
import { confirmedSnapshot, earlySnapshot } from './dialog-snapshots.js';
import { ALLOWED_METHODS, type EmbeddedCallLeg } from './embedded-call-leg.js';
import type { Dialog } from './dialog.js';
import { EarlyDialogs } from './early-dialogs.js';
import type { EstablishInput } from './establish-call-leg.js';
import { failureFromResponse } from './failure-from-response.js';
import type { LateAnswers, RecentInvite } from './late-answers.js';
import { latestSdp } from './latest-sdp.js';
import { parseNameAddr } from './message/parse-name-addr.js';
import { createRequest, SipHeaders, type SipRequest, type SipResponse } from './message/sip-message.js';
import { SUPPORTED_OPTION_TAGS } from './read-reliability.js';
import type { SipStack } from './sip-stack.js';
import type { Clock } from './transaction/sip-timers.js';
import type { RemoteAddress, TransportKind } from './transport/sip-transport.js';

/** What an outbound INVITE needs of the engine that sends it. */
export interface OutboundInviteContext {
  readonly stack: SipStack;
  readonly nonces: NonceCache;
  readonly firstChallenge: FirstChallengeGate;
  readonly clock: Clock;
  readonly userAgent: string;
  /** RFC 4028 interval asked for first, seconds; 0 asks for none. */
  readonly sessionExpiresSec: number;
  /** Requests in flight: the engine cancels them when it closes. */
  readonly pending: Set<AuthenticatedRequest>;
  readonly lateAnswers: LateAnswers;
  readonly establish: (input: EstablishInput) => EmbeddedCallLeg;
  /** Where an early dialog's next request goes; `fallback` when its hop does not resolve. */
  readonly resolveHop: (dialog: Dialog, fallback: RemoteAddress) => Promise<RemoteAddress>;
  /** Whether `address` is one the trunk's name resolved to. */
  readonly isTrunkAddress: (address: RemoteAddress) => boolean;
  /** Sends a request on an early dialog of `trunk` (PRACK) to `hop`, answering its challenges. */
  readonly requestInEarlyDialog: (
    dialog: Dialog,
    trunk: SipTrunk,
    method: string,
    hop: RemoteAddress,
    extra: { headers: Array<[string, string]> },
  ) => Promise<SipResponse>;
  readonly respond: EarlyDialogsRespond;
  /** Files the INVITE's early dialogs where in-dialog requests find them; returns the undo. */
  readonly trackEarly: (key: string, early: EarlyDialogs) => () => void;
}

type EarlyDialogsRespond = ConstructorParameters<typeof EarlyDialogs>[0]['respond'];

/** Where the INVITE goes and as whom, settled by the engine before it is built. */
export interface InviteRoute {
  readonly trunk: SipTrunk;
  readonly remote: RemoteAddress;
  readonly transport: TransportKind;
  readonly contact: string;
  readonly callId: string;
  readonly fromTag: string;
  /** The From header, tag included. */
  readonly from: string;
  /** P-Asserted-Identity, Privacy, Diversion, as `callerPresentation` settled them. */
  readonly identityHeaders: ReadonlyArray<readonly [string, string]>;
  readonly logger: Logger;
}

type CancelCause = 'ring-timeout' | 'aborted';

/**
 * One outbound INVITE, from its first send to a call leg or a SipFailure: answers challenges,
 * asks again once with the carrier's Min-SE on 422, CANCELs on ring timeout or abort, and hangs
 * up a 2xx that crossed its CANCEL.
 */
export class OutboundInvite {
  readonly #ctx: OutboundInviteContext;
  readonly #options: InviteOptions;
  readonly #route: InviteRoute;
  readonly #recent: RecentInvite;
  readonly #sdp: Buffer;
  readonly #startedAt = Date.now();
  readonly #startedPerf = performance.now();
  #sessionExpiresSec: number;
  #postDialDelayMs: number | undefined;
  /** The INVITE as last sent: credentials and Via are added to this object as it goes out. */
  #lastInvite: SipRequest | undefined;
  #earlyFor: SipRequest | undefined;
  #cancelCause: CancelCause | undefined;
  #request: AuthenticatedRequest;
  readonly #early: EarlyDialogs;
  /** Option tags a provisional required that we lack: the call was CANCELled for them. */
  #unsupported: readonly string[] | undefined;

  constructor(ctx: OutboundInviteContext, options: InviteOptions, route: InviteRoute) {
    this.#ctx = ctx;
    this.#options = options;
    this.#route = route;
    this.#sdp = Buffer.from(options.sdp, 'utf8');
    this.#recent = ctx.lateAnswers.remember(route.callId, route.fromTag, {
      trunk: route.trunk,
      remote: route.remote,
      transport: route.transport,
      contact: route.contact,
      logger: route.logger,
      invite: () => this.#lastInvite,
      earlyCSeqOf: (remoteTag) => this.#early.localCSeqOf(remoteTag),
    });
    this.#sessionExpiresSec = ctx.sessionExpiresSec;
    this.#early = new EarlyDialogs({
      callId: route.callId,
      transport: route.transport,
      contact: route.contact,
      userAgent: ctx.userAgent,
      remote: route.remote,
      logger: route.logger,
      localSdp: options.sdp,
      ...(options.answerOffer ? { answerOffer: options.answerOffer } : {}),
      resolveHop: (dialog, fallback) => ctx.resolveHop(dialog, fallback),
      isTrunkAddress: (address) => ctx.isTrunkAddress(address),
      requestInDialog: (dialog, method, hop, extra) =>
        ctx.requestInEarlyDialog(dialog, route.trunk, method, hop, extra),
      respond: (request, remote, status, reason, extra) =>
        ctx.respond(request, remote, status, reason, extra),
    });
    this.#request = this.#newRequest(1);
  }

  /** Resolves with the answered leg, or rejects with a SipFailure. Call once. */
  async run(): Promise<EmbeddedCallLeg> {
    const { signal, ringTimeoutMs, uri } = this.#options;
    const ringTimer = this.#ctx.clock.setTimer(ringTimeoutMs, () => this.#cancel('ring-timeout'));
    const onAbort = (): void => this.#cancel('aborted');
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    this.#ctx.pending.add(this.#request);
    const untrackEarly = this.#ctx.trackEarly(this.#recent.key, this.#early);
    this.#route.logger.debug({ uri, callId: this.#route.callId }, 'INVITE');
    try {
      return await this.#settle(await this.#send());
    } catch (error) {
      throw this.#withCancelCause(error);
    } finally {
      ringTimer.cancel();
      untrackEarly();
      signal?.removeEventListener('abort', onAbort);
      this.#ctx.pending.delete(this.#request);
      this.#ctx.lateAnswers.forgetLater(this.#recent);
    }
  }

  #newRequest(firstCSeq: number): AuthenticatedRequest {
    const { trunk, remote, logger, callId, fromTag } = this.#route;
    return new AuthenticatedRequest({
      stack: this.#ctx.stack,
      nonces: this.#ctx.nonces,
      scope: trunk.name,
      credentials: trunkCredentials(trunk),
      firstChallenge: this.#ctx.firstChallenge,
      remote,
      firstCSeq,
      logger,
      build: (cseq) => this.#build(cseq),
      onProvisional: (response) => this.#onProvisional(response),
      onLate2xx: (response) => this.#ctx.lateAnswers.onLate2xx(response, callId, fromTag),
    });
  }

  #build(cseq: number): SipRequest {
    const options = this.#options;
    const headers = new SipHeaders();
    headers.append('Max-Forwards', '70');
    headers.append('From', this.#route.from);
    headers.append('To', `<${options.uri}>`);
    headers.append('Call-ID', this.#route.callId);
    headers.append('CSeq', `${cseq} INVITE`);
    headers.append('Contact', this.#route.contact);
    headers.append('Allow', ALLOWED_METHODS);
    // One Supported header: 100rel (RFC 3262) and timer (RFC 4028).
    headers.append('Supported', SUPPORTED_OPTION_TAGS.join(', '));
    if (this.#sessionExpiresSec > 0) {
      headers.append('Session-Expires', `${this.#sessionExpiresSec};refresher=uac`);
      headers.append('Min-SE', String(Math.min(90, this.#sessionExpiresSec)));
    }
    headers.append('User-Agent', this.#ctx.userAgent);
    for (const [name, value] of this.#route.identityHeaders) headers.append(name, value);
    for (const [name, value] of Object.entries(options.headers ?? {})) headers.append(name, value);
    headers.append('Content-Type', 'application/sdp');
    this.#lastInvite = createRequest('INVITE', options.uri, headers, this.#sdp);
    return this.#lastInvite;
  }

  #onProvisional(response: SipResponse): void {
    if (this.#unsupported) return;
    const invite = this.#lastInvite;
    const verdict = invite ? this.#early.onProvisional(response, invite) : { action: 'process' as const };
    if (verdict.action === 'drop') return;
    if (verdict.action === 'fail') {
      // RFC 3261 §8.1.3.5/§9: we cannot honour what it requires, so the session cannot be set up
      // as the carrier means it. CANCEL rather than ring on regardless or hang.
      this.#unsupported = verdict.extensions;
      this.#route.logger.warn(
        { callId: this.#route.callId, status: response.status, require: verdict.extensions },
        'provisional requires an extension we do not support; cancelling',
      );
      this.#request.cancel();
      return;
    }
    const afterMs = Math.round(performance.now() - this.#startedPerf);
    if (this.#postDialDelayMs === undefined && (response.status === 180 || response.status === 183))
      this.#postDialDelayMs = afterMs;
    const early = response.body.length > 0 ? { sdp: response.body.toString('utf8') } : {};
    const attestation = callerAttestationOf(response.status, (name) => response.headers.getAll(name));
    try {
      this.#options.onProvisional?.({
        status: response.status,
        reason: response.reason,
        afterMs,
        ...early,
        ...(attestation !== undefined && { attestation }),
      });
      if (this.#options.onDialog && this.#lastInvite && this.#earlyFor !== this.#lastInvite) {
        this.#earlyFor = this.#lastInvite;
        this.#options.onDialog(earlySnapshot(this.#lastInvite, this.#route.trunk.name, this.#route.remote));
      }
    } catch (error) {
      this.#route.logger.warn({ err: error, callId: this.#route.callId }, 'onProvisional listener threw');
    }
  }

  #cancel(cause: CancelCause): void {
    if (this.#cancelCause) return;
    this.#cancelCause = cause;
    this.#route.logger.debug({ cause, callId: this.#route.callId }, 'cancelling INVITE');
    this.#request.cancel();
  }

  async #send(): Promise<AuthenticatedResult> {
    const result = await this.#request.run();
    const minSe = result.response.status === 422 ? minSessionExpires(result.response) : undefined;
    if (minSe === undefined || minSe <= this.#sessionExpiresSec || this.#cancelCause) return result;
    // RFC 4028 §7.4: ask again with the interval the carrier can live with, once.
    this.#sessionExpiresSec = minSe;
    this.#ctx.pending.delete(this.#request);
    this.#request = this.#newRequest(result.cseq + 1);
    this.#ctx.pending.add(this.#request);
    return this.#request.run();
  }

  async #settle(result: AuthenticatedResult): Promise<EmbeddedCallLeg> {
    const { response } = result;
    if (this.#unsupported && response.status >= 300) throw this.#unsupportedFailure(this.#unsupported);
    if (response.status >= 200 && response.status < 300) return this.#answered(result);
    if (response.status === 401 || response.status === 407) {
      throw failureFromResponse(response, 'auth', { afterCredentials: result.credentialsSent });
    }
    throw failureFromResponse(response, result.heardRinging ? 'ringing' : 'setup', {
      cancelCause: response.status === 487 ? this.#cancelCause : undefined,
      afterCredentials: result.credentialsSent,
    });
  }

  async #answered(result: AuthenticatedResult): Promise<EmbeddedCallLeg> {
    const { trunk, remote, transport, contact, logger, callId } = this.#route;
    const remoteTag = parseNameAddr(result.response.headers.get('To') ?? '').params.get('tag');
    const early = remoteTag ? this.#early.sessionOf(remoteTag) : undefined;
    const leg = this.#ctx.establish({
      trunk,
      invite: result.request,
      response: result.response,
      remote,
      transport,
      contact,
      localSdp: early?.localSdp ?? this.#options.sdp,
      remoteSdp: latestSdp(early?.remoteSdp, result.response.body.toString('utf8')),
      ...(this.#options.answerOffer ? { answerOffer: this.#options.answerOffer } : {}),
      logger,
      ...this.#earlyCSeqOf(result.response),
      timings: {
        inviteSentAt: this.#startedAt,
        setupMs: Math.round(performance.now() - this.#startedPerf),
        invitesSent: result.sent,
        ...(this.#postDialDelayMs !== undefined ? { postDialDelayMs: this.#postDialDelayMs } : {}),
      },
    });
    this.#recent.handledTags.add(leg.dialog.remoteTag);
    if (this.#unsupported) {
      // Answered before our CANCEL took: ACKed; the call still cannot go on as required.
      await leg.hangup('unsupported-extension');
      throw this.#unsupportedFailure(this.#unsupported);
    }
    const cancelCause = this.#cancelCause;
    if (cancelCause) {
      // The 200 crossed our CANCEL: the callee picked up as we gave up. ACKed; now BYE.
      await leg.hangup(cancelCause);
      throw new SipFailure({
        status: 487,
        reason: 'Request Terminated',
        phase: 'ringing',
        local: true,
        cancelCause,
      });
    }
    try {
      this.#options.onDialog?.(confirmedSnapshot(leg.dialog, result.request, trunk.name, remote));
    } catch (error) {
      logger.warn({ err: error, callId }, 'onDialog listener threw');
    }
    return leg;
  }

  /** PRACKs went on the fork's early dialog: its confirmed dialog continues their CSeq space. */
  #earlyCSeqOf(response: SipResponse): { localCSeq?: number } {
    const remoteTag = parseNameAddr(response.headers.get('To') ?? '').params.get('tag');
    const localCSeq = remoteTag ? this.#early.localCSeqOf(remoteTag) : undefined;
    return localCSeq !== undefined ? { localCSeq } : {};
  }

  #unsupportedFailure(extensions: readonly string[], cause?: unknown): SipFailure {
    return new SipFailure({
      status: 420,
      reason: `Bad Extension: a provisional response required ${extensions.join(', ')}, which we do not support`,
      phase: 'ringing',
      local: true,
      ...(cause !== undefined ? { cause } : {}),
    });
  }

  /** A local failure (transport, timeout) while we were cancelling is told as the cancel. */
  #withCancelCause(error: unknown): unknown {
    if (this.#unsupported && error instanceof SipFailure && error.local && error.status !== 420)
      return this.#unsupportedFailure(this.#unsupported, error);
    const cancelCause = this.#cancelCause;
    if (!(error instanceof SipFailure) || !cancelCause || error.cancelCause !== undefined || !error.local)
      return error;
    return new SipFailure({
      status: error.status,
      reason: error.reason,
      phase: error.phase,
      local: true,
      cancelCause,
      cause: error,
    });
  }
}

/** The Min-SE of a 422, when it is a sane number of seconds. */
function minSessionExpires(response: SipResponse): number | undefined {
  const value = Number(/^\s*(\d{1,6})/.exec(response.headers.get('Min-SE') ?? '')?.[1]);
  return Number.isInteger(value) && value >= 1 && value <= 86_400 ? value : undefined;
}
