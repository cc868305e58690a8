import { TypedEventEmitter } from '../../kernel/index.js';
import type { Logger } from '../../log/index.js';
import { callerAttestationOf, type CallerAttestation } from '../caller-attestation.js';
import { dtmfOfInfo } from '../dtmf-of-info.js';
import type { CallEnd, CallLeg, CallLegEvents, CallTimings } from '../engine.js';
import type { Dialog } from './dialog.js';
import { parseCSeq } from './message/parse-cseq.js';
import { parseNameAddr } from './message/parse-name-addr.js';
import type { SipRequest, SipResponse } from './message/sip-message.js';
import { readSessionTimer, sessionTimerSchedule, type SessionTimerTerms } from './session-timer.js';
import type { Clock, TimerHandle } from './transaction/sip-timers.js';
import type { RemoteAddress } from './transport/sip-transport.js';

export const ALLOWED_METHODS = 'INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO';

/** What the engine does for a call leg: it owns the sockets, resolution and auth. */
export interface CallLegContext {
  readonly logger: Logger;
  readonly clock: Clock;
  readonly t1: number;
  readonly t2: number;
  respond(
    request: SipRequest,
    remote: RemoteAddress,
    status: number,
    reason: string,
    extra?: { headers?: Array<[string, string]>; sdp?: string },
  ): Buffer | undefined;
  resend(bytes: Buffer, remote: RemoteAddress): void;
  /** Sends a request in the dialog (answering challenges) and resolves with its final response. */
  request(
    dialog: Dialog,
    method: string,
    extra?: { headers?: Array<[string, string]>; sdp?: string },
  ): Promise<SipResponse>;
  /** Sends the ACK for the 2xx again (its retransmission means ours was lost). */
  reAck(): void;
  /** ACKs the 2xx to a re-INVITE of ours with CSeq `cseq` (§13.2.2.4: ACK is the UAC's, always). */
  ackReinvite(cseq: number): void;
  /** The leg is over: forget its dialog. */
  released(leg: EmbeddedCallLeg): void;
}

/** An answered call: answers in-dialog requests, keeps session timers, ends with one BYE. */
export class EmbeddedCallLeg extends TypedEventEmitter<CallLegEvents> implements CallLeg {
  readonly callId: string;
  remoteSdp: string;
  readonly timings: CallTimings;
  readonly attestation: CallerAttestation | undefined;
  readonly #dialog: Dialog;
  readonly #ctx: CallLegContext;
  readonly #logger: Logger;
  #end: CallEnd | undefined;
  #ending: Promise<CallEnd> | undefined;
  #sessionTimer: TimerHandle | undefined;
  #okRetransmit: { timer: TimerHandle; cseq: number } | undefined;
  #peerAllowsUpdate: boolean;
  #localSdp: string;
  readonly #answerOffer: ((offer: string, localSdp: string) => string | undefined) | undefined;
  /**
   * CSeq of the 2xx whose SDP was our offer (to an offerless re-INVITE) while its answer, due in
   * the ACK, has not come: another offer now is glare (RFC 3261 §14.2, RFC 3311 §5.2).
   */
  #offerAwaitingAck: number | undefined;
  /** Our own re-INVITE (a session refresh) is in progress: an INVITE from the peer is glare. */
  #reinviting = false;

  constructor(init: {
    dialog: Dialog;
    context: CallLegContext;
    localSdp: string;
    remoteSdp: string;
    answerOffer?: (offer: string, localSdp: string) => string | undefined;
    timings: CallTimings;
    answer: SipResponse;
  }) {
    super();
    this.#dialog = init.dialog;
    this.#ctx = init.context;
    this.callId = init.dialog.callId;
    this.#localSdp = init.localSdp;
    this.remoteSdp = init.remoteSdp;
    this.#answerOffer = init.answerOffer;
    this.timings = init.timings;
    this.attestation = callerAttestationOf(init.answer.status, (name) => init.answer.headers.getAll(name));
    this.#logger = init.context.logger;
    this.#peerAllowsUpdate = /\bUPDATE\b/i.test(init.answer.headers.getAll('Allow').join(','));
    this.#armSessionTimer(readSessionTimer(init.answer.headers.get('Session-Expires'), true));
  }

  /** The SDP we last sent: the offer, or our answer to the far end's latest offer. */
  get localSdp(): string {
    return this.#localSdp;
  }

  get end(): CallEnd | undefined {
    return this.#end;
  }

  get dialog(): Dialog {
    return this.#dialog;
  }

  /** An in-dialog request from the peer. */
  handleRequest(request: SipRequest, remote: RemoteAddress): void {
    const cseq = parseCSeq(request.headers.get('CSeq') ?? '');
    if (request.method === 'ACK') {
      if (this.#okRetransmit && this.#okRetransmit.cseq === cseq.seq) {
        this.#okRetransmit.timer.cancel();
        this.#okRetransmit = undefined;
      }
      if (this.#offerAwaitingAck === cseq.seq) {
        this.#offerAwaitingAck = undefined;
        this.#takeAckAnswer(request);
      }
      return;
    }
    const last = this.#dialog.remoteCSeq;
    if (last !== undefined && cseq.seq < last) {
      this.#ctx.respond(request, remote, 500, 'Server Internal Error', { headers: [['Retry-After', '1']] });
      return;
    }
    this.#dialog.remoteCSeq = cseq.seq;
    switch (request.method) {
      case 'BYE':
        this.#ctx.respond(request, remote, 200, 'OK');
        this.#finish({ by: 'remote', reason: 'bye', at: Date.now() });
        return;
      case 'OPTIONS':
        this.#ctx.respond(request, remote, 200, 'OK', {
          headers: [
            ['Allow', ALLOWED_METHODS],
            ['Accept', 'application/sdp'],
            ['Supported', 'timer'],
          ],
        });
        return;
      case 'INVITE':
      case 'UPDATE':
        this.#answerRefresh(request, remote);
        return;
      case 'INFO': {
        this.#ctx.respond(request, remote, 200, 'OK');
        const dtmf = this.#end
          ? undefined
          : dtmfOfInfo(request.headers.get('Content-Type'), request.body.toString('utf8'));
        if (dtmf) this.emit('dtmf', dtmf);
        return;
      }
      default:
        this.#ctx.respond(request, remote, 501, 'Not Implemented', { headers: [['Allow', ALLOWED_METHODS]] });
    }
  }

  /**
   * A re-INVITE or UPDATE: a session refresh, a hold, or media that moves (RFC 3261 §14.2, RFC
   * 3311 §5.2). An offer goes to `answerOffer`: accepted, we answer with its SDP and tell
   * `media`; refused, 488 and the session stays as it was. Without `answerOffer` we answer with
   * the SDP we already sent (RFC 3264 §8: unchanged session, unchanged o= version). An offer
   * while ours is unanswered, or an INVITE while our own is in progress, is glare: 491.
   */
  #answerRefresh(request: SipRequest, remote: RemoteAddress): void {
    if (this.#end) {
      this.#ctx.respond(request, remote, 481, 'Call/Transaction Does Not Exist');
      return;
    }
    const isInvite = request.method === 'INVITE';
    const offer = request.body.length > 0 ? request.body.toString('utf8') : undefined;
    // Either side's offer is unanswered: a second one now is glare.
    if ((isInvite || offer !== undefined) && (this.#reinviting || this.#offerAwaitingAck !== undefined)) {
      this.#ctx.respond(request, remote, 491, 'Request Pending');
      return;
    }
    let sdp: string | undefined = isInvite ? this.#localSdp : undefined;
    if (offer !== undefined) {
      const answer = this.#answerOffer ? this.#answerTo(offer) : this.#localSdp;
      if (answer === undefined) {
        this.#ctx.respond(request, remote, 488, 'Not Acceptable Here', {
          headers: [['Allow', ALLOWED_METHODS]],
        });
        return;
      }
      sdp = this.#localSdp = answer;
    }
    // §12.2.2 / RFC 3311 §5.2: an accepted target refresh request moves the remote target.
    const contact = request.headers.get('Contact');
    if (contact !== undefined) this.#dialog.remoteTarget = parseNameAddr(contact).uri;
    const headers: Array<[string, string]> = [
      ['Contact', this.#dialog.contact],
      ['Allow', ALLOWED_METHODS],
      ['Supported', 'timer'],
    ];
    const terms = readSessionTimer(request.headers.get('Session-Expires'), false);
    if (terms) {
      headers.push(['Session-Expires', `${terms.intervalSec};refresher=${terms.weRefresh ? 'uas' : 'uac'}`]);
      headers.push(['Require', 'timer']);
    }
    this.#armSessionTimer(terms);
    const bytes = this.#ctx.respond(
      request,
      remote,
      200,
      'OK',
      sdp !== undefined ? { headers, sdp } : { headers },
    );
    const seq = parseCSeq(request.headers.get('CSeq') ?? '').seq;
    // An offerless re-INVITE: our 2xx carries the offer, its ACK the answer (RFC 3264 §4).
    if (isInvite && offer === undefined && this.#answerOffer) this.#offerAwaitingAck = seq;
    if (isInvite && bytes && remote.transport === 'udp') this.#retransmitOk(bytes, remote, seq);
    else if (this.#offerAwaitingAck === seq) this.#awaitAnswerInAck(seq);
    if (offer !== undefined) {
      this.remoteSdp = offer;
      if (this.#answerOffer) this.emit('media', offer);
    }
  }

  /** `answerOffer`'s answer to `offer`, undefined when refused (a throwing one refuses too). */
  #answerTo(offer: string): string | undefined {
    try {
      return this.#answerOffer?.(offer, this.#localSdp);
    } catch (error) {
      this.#logger.warn({ err: error, callId: this.callId }, 'answering an offer in the dialog failed');
      return undefined;
    }
  }

  /** The ACK to our offer in a 2xx: its SDP is the far end's answer; one we cannot use ends the call. */
  #takeAckAnswer(ack: SipRequest): void {
    if (ack.body.length === 0) {
      this.#logger.info({ callId: this.callId }, 'ACK to our offer carried no answer; media unchanged');
      return;
    }
    const answer = ack.body.toString('utf8');
    if (this.#answerTo(answer) === undefined) {
      // RFC 3261 §14.2: an answer the UAC cannot accept ends the session with BYE.
      void this.hangup('sdp-answer-refused');
      return;
    }
    this.remoteSdp = answer;
    this.emit('media', answer);
  }

  /**
   * On TCP/TLS the 2xx is not re-sent, but an offer whose ACK never comes leaves the session
   * without an answer (and every later offer in glare): after 64×T1, as on UDP, end it.
   */
  #awaitAnswerInAck(cseq: number): void {
    this.#okRetransmit?.timer.cancel();
    const timer = this.#ctx.clock.setTimer(64 * this.#ctx.t1, () => {
      if (this.#offerAwaitingAck !== cseq) return;
      this.#offerAwaitingAck = undefined;
      this.#okRetransmit = undefined;
      void this.hangup('ack-timeout');
    });
    this.#okRetransmit = { timer, cseq };
  }

  /** §13.3.1.4: a UAS re-sends its 2xx to INVITE until the ACK comes, T1 doubling to T2, for 64×T1. */
  #retransmitOk(bytes: Buffer, remote: RemoteAddress, cseq: number): void {
    this.#okRetransmit?.timer.cancel();
    const started = this.#ctx.clock.now();
    let interval = this.#ctx.t1;
    const arm = (): TimerHandle =>
      this.#ctx.clock.setTimer(interval, () => {
        if (!this.#okRetransmit || this.#okRetransmit.cseq !== cseq) return;
        if (this.#ctx.clock.now() - started >= 64 * this.#ctx.t1) {
          this.#okRetransmit = undefined;
          void this.hangup('ack-timeout');
          return;
        }
        this.#ctx.resend(bytes, remote);
        interval = Math.min(interval * 2, this.#ctx.t2);
        this.#okRetransmit = { timer: arm(), cseq };
      });
    this.#okRetransmit = { timer: arm(), cseq };
  }

  #armSessionTimer(terms: SessionTimerTerms | undefined): void {
    this.#sessionTimer?.cancel();
    this.#sessionTimer = undefined;
    if (!terms || this.#end) return;
    const { refreshInMs, expireInMs } = sessionTimerSchedule(terms);
    if (terms.weRefresh) {
      this.#sessionTimer = this.#ctx.clock.setTimer(refreshInMs, () => void this.#refresh(terms));
    } else {
      this.#sessionTimer = this.#ctx.clock.setTimer(
        expireInMs,
        () => void this.hangup('session-timer-expired'),
      );
    }
  }

  /** We are the refresher: UPDATE when the peer allows it (no SDP renegotiation), else re-INVITE. */
  async #refresh(terms: SessionTimerTerms): Promise<void> {
    if (this.#end) return;
    const method = this.#peerAllowsUpdate ? 'UPDATE' : 'INVITE';
    const headers: Array<[string, string]> = [
      ['Session-Expires', `${terms.intervalSec};refresher=uac`],
      ['Supported', 'timer'],
    ];
    if (method === 'INVITE') this.#reinviting = true;
    try {
      const response = await this.#ctx
        .request(this.#dialog, method, method === 'INVITE' ? { headers, sdp: this.#localSdp } : { headers })
        .finally(() => {
          this.#reinviting = false;
        });
      if (response.status >= 200 && response.status < 300) {
        if (method === 'INVITE') {
          this.#ctx.ackReinvite(parseCSeq(response.headers.get('CSeq') ?? '').seq);
          if (response.body.length > 0) this.#takeRefreshAnswer(response.body.toString('utf8'));
        }
        this.#armSessionTimer(readSessionTimer(response.headers.get('Session-Expires'), true) ?? terms);
        return;
      }
      // 481/408 mean the dialog is gone at the far end (RFC 5057); anything else we keep trying.
      if (response.status === 481 || response.status === 408) {
        this.#finish({ by: 'error', reason: `session-refresh-${response.status}`, at: Date.now() });
        return;
      }
      this.#armSessionTimer(terms);
    } catch (error) {
      this.#logger.warn({ err: error, callId: this.callId }, 'session refresh failed');
      this.#finish({ by: 'error', reason: 'session-refresh-failed', at: Date.now() });
    }
  }

  /**
   * The 2xx to our refresh re-INVITE answers the SDP we sent again (RFC 3264 §8). An answer that
   * differs from the last one (a new SRTP key, RFC 4568 §7.1.4, or media elsewhere) is the far
   * end's new media, told as `media` like an accepted offer of its own.
   */
  #takeRefreshAnswer(answer: string): void {
    if (answer === this.remoteSdp || !this.#answerOffer || this.#end) return;
    this.remoteSdp = answer;
    this.emit('media', answer);
  }

  /** A 2xx to our INVITE came again: our ACK was lost. */
  handleRetransmitted2xx(): void {
    if (!this.#end) this.#ctx.reAck();
  }

  hangup(reason = 'hangup'): Promise<CallEnd> {
    if (this.#end) return Promise.resolve(this.#end);
    this.#ending ??= (async () => {
      try {
        const response = await this.#ctx.request(this.#dialog, 'BYE');
        if (response.status >= 300)
          this.#logger.debug({ status: response.status, callId: this.callId }, 'BYE answered with an error');
      } catch (error) {
        this.#logger.debug({ err: error, callId: this.callId }, 'BYE got no answer');
      }
      return this.#finish({ by: 'local', reason, at: Date.now() });
    })();
    return this.#ending;
  }

  /** Ends the leg without signalling (engine shutdown after BYE failed, transport gone). */
  #finish(end: CallEnd): CallEnd {
    if (this.#end) return this.#end;
    this.#end = end;
    this.#sessionTimer?.cancel();
    this.#okRetransmit?.timer.cancel();
    this.#okRetransmit = undefined;
    this.#ctx.released(this);
    this.emit('ended', end);
    this.removeAllListeners();
    return end;
  }
}
