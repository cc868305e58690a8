import type { TypedEventEmitter } from '../kernel/index.js';
import type { CallerAttestation } from './caller-attestation.js';
import type { DialogSnapshot, OrphanDialogEnd, OrphanEndOptions } from './dialog-snapshot.js';
import type { SipFailure } from './sip-failure.js';
import type { SipTrunk } from './sip-trunk.js';
import type { SipSecurityStats } from './sip-security-stats.js';

export type RegistrationState = 'registering' | 'registered' | 'failed' | 'unregistered';

export interface RegistrationStatus {
  readonly trunk: string;
  readonly state: RegistrationState;
  /** Expires the registrar granted, seconds (from Contact `expires` or the Expires header). */
  readonly grantedExpiresSec?: number;
  /** When the binding runs out, ms since the epoch. */
  readonly expiresAt?: number;
  /** Challenge seen on the last attempt: `401 realm="…" algorithm=MD5 qop=auth`. */
  readonly challenge?: string;
  /** Round trip of the last REGISTER transaction including any challenge, ms. */
  readonly lastAttemptMs?: number;
  readonly lastFailure?: SipFailure;
}

export type RegistrationEvents = {
  state: [RegistrationStatus];
};

/** A binding kept fresh by the engine until `unregister()`. */
export interface Registration extends TypedEventEmitter<RegistrationEvents> {
  readonly status: RegistrationStatus;
  /** Sends REGISTER with Expires: 0 and stops refreshing. Idempotent. */
  unregister(): Promise<void>;
}

export interface ProvisionalInfo {
  readonly status: number;
  readonly reason: string;
  /** Early-media SDP of a 183 (or 180 with body). */
  readonly sdp?: string;
  /** ms since the INVITE left. */
  readonly afterMs: number;
  /** STIR/SHAKEN attestation the provisional carried (untrusted, for the record). */
  readonly attestation?: CallerAttestation;
}

export interface InviteOptions {
  readonly trunk: SipTrunk;
  /** Request-URI, e.g. `sip:5534984149880@carrier.test`. */
  readonly uri: string;
  /** User part of From. Default: the trunk's username. */
  readonly from?: string;
  /** Caller ID presented to the callee (P-Asserted-Identity and From display). */
  readonly callerId?: string;
  /**
   * Withhold the caller ID from the callee (RFC 3323/3325): From is anonymous, `Privacy: id` asks
   * the carrier to strip P-Asserted-Identity, which still carries the real identity to it.
   */
  readonly callerIdWithheld?: boolean;
  /** SDP offer. */
  readonly sdp: string;
  /** Extra headers. Values are checked for CR/LF at the edge. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Sends CANCEL when no final answer came within this time. */
  readonly ringTimeoutMs: number;
  /** Aborting sends CANCEL (or drops the attempt before any provisional, per RFC 3261 §9.1). */
  readonly signal?: AbortSignal;
  /**
   * Answers an SDP offer the far end makes in the dialog: an UPDATE before the answer (RFC 3311),
   * a re-INVITE or UPDATE after it (RFC 3261 §14). Given the offer and the SDP we last sent,
   * returns our answer, or undefined when the offer cannot be accepted (the engine answers 488
   * and the session stays as it was). Also checks the answer in an ACK to an offerless re-INVITE
   * (undefined: the call is hung up, RFC 3261 §14.2). Absent: a re-offer is answered with our
   * SDP unchanged and an early UPDATE offer gets 488. The drachtio engine calls it for offers
   * in re-INVITEs and UPDATEs after the answer only: an early UPDATE is drachtio-srf's (200 with
   * our offer), and the answer in the ACK to an offerless re-INVITE never reaches this process.
   */
  readonly answerOffer?: (offer: string, localSdp: string) => string | undefined;
  /** Called for each provisional response, in order. */
  readonly onProvisional?: (info: ProvisionalInfo) => void;
  /**
   * Called when the call becomes endable by another process: `early` at the first provisional
   * answer, `confirmed` once the 2xx is ACKed. Engines that cannot end another process's
   * dialogs never call it.
   */
  readonly onDialog?: (snapshot: DialogSnapshot) => void;
}

export interface CallTimings {
  /** ms since the epoch when the first INVITE left. */
  readonly inviteSentAt: number;
  /** ms from INVITE to the first 180/183 (post-dial delay). */
  readonly postDialDelayMs?: number;
  /** ms from INVITE to the 200. */
  readonly setupMs: number;
  /** Number of INVITEs sent for this call (2 when a challenge had to be answered). */
  readonly invitesSent: number;
}

export type CallEndedBy = 'local' | 'remote' | 'error';

export interface CallEnd {
  readonly by: CallEndedBy;
  /** `bye`, `hangup`, `session-timer-expired`, `transport-error`, … */
  readonly reason: string;
  /** ms since the epoch. */
  readonly at: number;
}

/** A DTMF digit the far end signalled in the dialog (SIP INFO), not in the media. */
export interface SipDtmf {
  /** 0-9, *, #, A-D. */
  readonly digit: string;
  readonly durationMs?: number;
  /** The INFO body's Content-Type: `application/dtmf-relay` or `application/dtmf`. */
  readonly contentType: string;
}

export type CallLegEvents = {
  ended: [CallEnd];
  /**
   * The far end's media moved: an offer it made in the dialog was accepted through
   * `InviteOptions.answerOffer`, or its answer to our offer came in an ACK or in the 2xx to our
   * session-refresh re-INVITE (emitted when that answer differs from the last). Carries its new SDP,
   * also in `remoteSdp` by then. Only engines that call `answerOffer` emit it.
   */
  media: [string];
  /** Emitted only by engines that see in-dialog INFO; carriers that send RFC 4733 DTMF never cause it. */
  dtmf: [SipDtmf];
};

/** An answered call. */
export interface CallLeg extends TypedEventEmitter<CallLegEvents> {
  readonly callId: string;
  readonly localSdp: string;
  readonly remoteSdp: string;
  readonly timings: CallTimings;
  /** STIR/SHAKEN attestation the 2xx carried (untrusted, for the record). */
  readonly attestation?: CallerAttestation;
  /** Set once the call has ended. */
  readonly end: CallEnd | undefined;
  /** Sends BYE (once) and resolves when the call is over. Idempotent. */
  hangup(reason?: string): Promise<CallEnd>;
}

/**
 * A SIP user agent that registers with carriers and places calls. Both engines (embedded and
 * drachtio) implement it; nothing outside `src/sip/` sees how.
 */
export interface SipEngine {
  readonly name: 'embedded' | 'drachtio';
  /** Binds sockets or connects. Idempotent. */
  start(): Promise<void>;
  /**
   * Registers the trunk and keeps the binding fresh. Resolves on the first success; rejects with
   * a SipFailure if the first attempt fails (nothing keeps running then).
   */
  register(trunk: SipTrunk): Promise<Registration>;
  /** Unregisters the trunk (Expires: 0). Idempotent. */
  unregister(trunkName: string): Promise<void>;
  /** Places a call. Resolves with the answered leg or rejects with a SipFailure. */
  invite(options: InviteOptions): Promise<CallLeg>;
  /**
   * Ends a call another process placed and can no longer end (it died): BYE for a confirmed
   * dialog, CANCEL for an early one. Rejects with a SipFailure when the BYE got no answer, or
   * with `EngineFeatureUnsupportedError` on an engine that cannot. An early one may turn out
   * answered (the process died as the 200 came): a 2xx for it that reaches this engine within
   * 64·T1 is ACKed and hung up, and `options.onAnswered` is called.
   */
  endOrphanDialog(
    snapshot: DialogSnapshot,
    trunk: SipTrunk,
    options?: OrphanEndOptions,
  ): Promise<OrphanDialogEnd>;
  /** Hangs up every call, unregisters every trunk, closes sockets. Idempotent. */
  close(): Promise<void>;
  /** Forged or excess traffic refused so far; absent on an engine that does not check (drachtio). */
  readonly securityStats?: SipSecurityStats;
}
