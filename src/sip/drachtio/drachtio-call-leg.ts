import { TypedEventEmitter } from '../../kernel/index.js';
import type { Logger } from '../../log/index.js';
import type { CallerAttestation } from '../caller-attestation.js';
import { dtmfOfInfo } from '../dtmf-of-info.js';
import type { CallEnd, CallLeg, CallLegEvents, CallTimings, InviteOptions } from '../engine.js';
import type { SrfDialog, SrfRequest, SrfServerResponse } from './srf-api.js';

export interface DrachtioCallLegInit {
  readonly dialog: SrfDialog;
  readonly localSdp: string;
  /** Answers the far end's in-dialog offers; absent: drachtio-srf answers them with our SDP. */
  readonly answerOffer?: InviteOptions['answerOffer'];
  readonly timings: CallTimings;
  readonly attestation?: CallerAttestation;
  readonly logger: Logger;
  /** Longest wait for the BYE's response before the call counts as over. */
  readonly byeWaitMs: number;
  readonly released: (leg: DrachtioCallLeg) => void;
}

/**
 * An answered call through drachtio-server. drachtio-srf answers in-dialog OPTIONS itself; this
 * leg maps BYE both ways onto `ended`, DTMF INFO onto `dtmf`, and an offer in a re-INVITE or
 * UPDATE onto `answerOffer` and `media` (drachtio-srf's own answer would be our first SDP, which
 * keeps neither a moved address, a new codec nor a new SRTP key).
 */
export class DrachtioCallLeg extends TypedEventEmitter<CallLegEvents> implements CallLeg {
  readonly callId: string;
  readonly timings: CallTimings;
  readonly attestation: CallerAttestation | undefined;
  readonly #init: DrachtioCallLegInit;
  #end: CallEnd | undefined;
  #hangingUp: Promise<CallEnd> | undefined;
  #localSdp: string;
  #remoteSdp: string;

  constructor(init: DrachtioCallLegInit) {
    super();
    this.#init = init;
    this.callId = init.dialog.sip.callId;
    this.#localSdp = init.localSdp;
    this.#remoteSdp = init.dialog.remote.sdp;
    this.timings = init.timings;
    this.attestation = init.attestation;
    init.dialog.on('destroy', (req, reason) => {
      // Source 'application': drachtio-server, our side of the wire, sent the BYE itself (the far
      // end never refreshed the session timer, or a 200 crossed a CANCEL): a local hang-up.
      const fromServer = req.meta?.source === 'application';
      this.#finish(
        fromServer
          ? { by: 'local', reason: serverReason(reason), at: Date.now() }
          : { by: 'remote', reason: 'bye', at: Date.now() },
      );
    });
    init.dialog.on('info', (req, res) => {
      // Answered whatever the body: an INFO we cannot read is still not an error (RFC 6086 §4.2.2).
      res.send(200);
      const dtmf = this.#end ? undefined : dtmfOfInfo(req.get('Content-Type'), req.body);
      if (dtmf) this.emit('dtmf', dtmf);
    });
    const { answerOffer } = init;
    if (answerOffer) {
      // A 'modify' listener makes drachtio-srf hand us every re-INVITE with SDP (a session
      // refresh too, whose unchanged offer answerOffer answers unchanged).
      init.dialog.on('modify', (req, res) => this.#answer(req, res, answerOffer));
      init.dialog.on('update', (req, res) => this.#answer(req, res, answerOffer));
    }
  }

  get localSdp(): string {
    return this.#localSdp;
  }

  get remoteSdp(): string {
    return this.#remoteSdp;
  }

  #answer(
    req: SrfRequest,
    res: SrfServerResponse,
    answerOffer: NonNullable<InviteOptions['answerOffer']>,
  ): void {
    const offer = req.body;
    const dialog = this.#init.dialog;
    const contact = dialog.local.contact;
    const withSdp = (sdp: string): { headers: Record<string, string>; body: string } => ({
      headers: { 'Content-Type': 'application/sdp', ...(contact ? { Contact: contact } : {}) },
      body: sdp,
    });
    if (offer.trim() === '') {
      // An UPDATE without SDP refreshes the session; an offerless re-INVITE gets our offer, and
      // its answer comes in the ACK, which drachtio-srf does not pass up: media stays as it is.
      if (req.method === 'UPDATE') res.send(200);
      else res.send(200, withSdp(this.#localSdp));
      return;
    }
    let answer: string | undefined;
    try {
      answer = this.#end ? undefined : answerOffer(offer, this.#localSdp);
    } catch (error) {
      this.#init.logger.warn({ err: error, callId: this.callId }, 'answerOffer threw; refusing the offer');
    }
    if (answer === undefined) {
      // drachtio-srf already took the refused offer as the dialog's remote SDP: put it back.
      dialog.remote.sdp = this.#remoteSdp;
      res.send(488);
      return;
    }
    res.send(200, withSdp(answer));
    this.#localSdp = answer;
    this.#remoteSdp = offer;
    // drachtio-srf answers a later hold or an offerless refresh with dialog.local.sdp.
    dialog.local.sdp = answer;
    dialog.remote.sdp = offer;
    this.emit('media', offer);
  }

  get end(): CallEnd | undefined {
    return this.#end;
  }

  hangup(reason = 'hangup'): Promise<CallEnd> {
    if (this.#end) return Promise.resolve(this.#end);
    this.#hangingUp ??= this.#hangup(reason);
    return this.#hangingUp;
  }

  async #hangup(reason: string): Promise<CallEnd> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.#init.dialog.destroy(),
        new Promise((resolve) => {
          timer = setTimeout(resolve, this.#init.byeWaitMs);
        }),
      ]);
    } catch (error) {
      this.#init.logger.debug({ err: error, callId: this.callId }, 'BYE could not be sent');
    } finally {
      clearTimeout(timer);
    }
    return this.#finish({ by: 'local', reason, at: Date.now() });
  }

  /**
   * The control connection dropped: this process can no longer reach the dialog, so the call is
   * over for us, but drachtio-server keeps it. Returns the dialog when the call was still up, for
   * the engine to end once the connection is back.
   */
  lost(): SrfDialog | undefined {
    if (this.#end) return undefined;
    this.#finish({ by: 'error', reason: 'transport-error', at: Date.now() });
    return this.#init.dialog;
  }

  #finish(end: CallEnd): CallEnd {
    if (this.#end) return this.#end;
    this.#end = end;
    this.#init.released(this);
    this.emit('ended', end);
    this.removeAllListeners();
    return end;
  }
}

function serverReason(reason: string | undefined): string {
  if (reason !== undefined && /session.?timer|session.?expire/i.test(reason)) return 'session-timer-expired';
  return reason ?? 'drachtio-server ended the call';
}
