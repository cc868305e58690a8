import { performance } from 'node:perf_hooks';
import type { Logger } from '../../log/index.js';
import { callerAttestationOf } from '../caller-attestation.js';
import { callerPresentation } from '../caller-presentation.js';
import type { CallLeg, InviteOptions } from '../engine.js';
import { SipFailure, type CancelCause } from '../sip-failure.js';
import { trunkCredentials } from '../sip-trunk.js';
import { DrachtioCallLeg } from './drachtio-call-leg.js';
import { failureFromSrfError } from './failure-from-srf-error.js';
import { guardedDigestAuth } from './guarded-digest-auth.js';
import type { DigestChallengeInspection } from './inspect-digest-challenge.js';
import type { SrfApi, SrfDialog, SrfRequest, SrfResponse } from './srf-api.js';

export interface DrachtioInviteInit {
  readonly srf: SrfApi;
  readonly options: InviteOptions;
  /** `sip:host:port;transport=tcp`: where the INVITE goes. */
  readonly proxy: string;
  /** Our Contact, when drachtio-server's own would not do (a sips trunk). */
  readonly contact?: string;
  readonly userAgent: string;
  readonly logger: Logger;
  /**
   * How long an INVITE may go without any response, and how long a CANCEL may wait for the final
   * response, before the attempt is given up locally (64·T1; drachtio-server does not always
   * surface its own 408, drachtio-server#356).
   */
  readonly giveUpMs: number;
  readonly byeWaitMs: number;
  readonly released: (leg: DrachtioCallLeg) => void;
}

/**
 * One outbound INVITE through drachtio-srf's createUAC, with the guarantees the SipEngine contract
 * makes and drachtio-srf does not: CANCEL only after a provisional, a bounded life whatever the
 * server does, a SipFailure for every way it can end, and any late 200 hung up.
 */
export class DrachtioInvite {
  readonly #init: DrachtioInviteInit;
  readonly #startedAt = Date.now();
  readonly #startedPerf = performance.now();
  #request: SrfRequest | undefined;
  #invitesSent = 1;
  #heardProvisional = false;
  #postDialDelayMs: number | undefined;
  #cancelCause: CancelCause | undefined;
  #cancelSent = false;
  #challenge: DigestChallengeInspection | undefined;
  #settled = false;
  #giveUpTimer: NodeJS.Timeout | undefined;
  #ringTimer: NodeJS.Timeout | undefined;
  #reject: ((failure: SipFailure) => void) | undefined;

  constructor(init: DrachtioInviteInit) {
    this.#init = init;
  }

  get callId(): string | undefined {
    return this.#request?.get('Call-ID');
  }

  /** Resolves with the answered leg or rejects with a SipFailure; never anything else. */
  run(): Promise<CallLeg> {
    const { options } = this.#init;
    if (options.signal?.aborted) {
      return Promise.reject(
        new SipFailure({
          status: 487,
          reason: 'Request Terminated',
          phase: 'setup',
          local: true,
          cancelCause: 'aborted',
        }),
      );
    }
    return new Promise<CallLeg>((resolve, reject) => {
      const onAbort = (): void => this.#cancel('aborted');
      const settle = (outcome: { leg: CallLeg } | { failure: SipFailure }): void => {
        if (this.#settled) return;
        this.#settled = true;
        clearTimeout(this.#ringTimer);
        clearTimeout(this.#giveUpTimer);
        options.signal?.removeEventListener('abort', onAbort);
        if ('leg' in outcome) resolve(outcome.leg);
        else reject(outcome.failure);
      };
      this.#reject = (failure) => settle({ failure });
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.#ringTimer = setTimeout(() => this.#cancel('ring-timeout'), options.ringTimeoutMs);
      this.#armGiveUp('no response to the INVITE');

      let uac: Promise<SrfDialog>;
      try {
        uac = this.#init.srf.createUAC(options.uri, this.#uacOptions(), {
          cbRequest: (err, req) => {
            if (err || !req) return;
            this.#request = req;
            req.on('authenticate', () => {
              this.#invitesSent += 1;
            });
            if (this.#cancelCause && this.#heardProvisional) this.#sendCancel();
          },
          cbProvisional: (res) => this.#onProvisional(res),
        });
      } catch (error) {
        settle({ failure: failureFromSrfError(error, { phase: 'transport' }) });
        return;
      }
      uac.then(
        (dialog) => {
          if (this.#settled) {
            // Answered after we gave up (or the connection dropped): nobody will use it.
            this.#init.logger.debug({ callId: dialog.sip.callId }, 'late 200 after the attempt ended; BYE');
            void dialog.destroy().catch(() => undefined);
            return;
          }
          if (this.#cancelCause) {
            // The 200 crossed our CANCEL: drachtio-srf ACKed it; hang up and report the CANCEL.
            const cancelCause = this.#cancelCause;
            void dialog.destroy().catch(() => undefined);
            settle({
              failure: new SipFailure({
                status: 487,
                reason: 'Request Terminated',
                phase: 'ringing',
                local: true,
                cancelCause,
              }),
            });
            return;
          }
          settle({ leg: this.#leg(dialog) });
        },
        (error: unknown) => settle({ failure: this.#failureOf(error) }),
      );
    });
  }

  /** Ends the attempt now with `failure` (the control connection dropped). */
  abandon(failure: SipFailure): void {
    this.#reject?.(failure);
  }

  #uacOptions(): Parameters<SrfApi['createUAC']>[1] {
    const { options, userAgent } = this.#init;
    const { trunk } = options;
    const presentation = callerPresentation(options);
    const headers: Record<string, string> = {
      // A sips trunk keeps sips: in From too (RFC 3261 §19.1); the Request-URI came here as sips:.
      From: trunk.sips === true ? presentation.from.replace('<sip:', '<sips:') : presentation.from,
      To: `<${options.uri}>`,
      'User-Agent': userAgent,
      // RFC 3262: drachtio-srf's createUAC PRACKs any provisional carrying an RSeq by itself;
      // saying so lets a carrier that requires 100rel take the call instead of a 420.
      Supported: '100rel',
      ...(this.#init.contact !== undefined ? { Contact: this.#init.contact } : {}),
      ...Object.fromEntries(presentation.headers),
    };
    Object.assign(headers, options.headers ?? {});
    const credentials = trunkCredentials(trunk);
    return {
      localSdp: options.sdp,
      proxy: this.#init.proxy,
      headers,
      ...(credentials
        ? { auth: guardedDigestAuth(credentials, (inspection) => (this.#challenge = inspection)) }
        : {}),
    };
  }

  #onProvisional(res: SrfResponse): void {
    if (this.#settled) {
      // Dropped before any provisional (abort): the CANCEL it could not have then goes out now.
      if (this.#cancelCause) this.#sendCancel();
      return;
    }
    const afterMs = Math.round(performance.now() - this.#startedPerf);
    this.#heardProvisional = true;
    if (this.#postDialDelayMs === undefined && (res.status === 180 || res.status === 183)) {
      this.#postDialDelayMs = afterMs;
    }
    if (this.#cancelCause) {
      this.#sendCancel();
    } else {
      // A provisional proves the far end is alive: the no-response bound no longer applies.
      clearTimeout(this.#giveUpTimer);
    }
    try {
      this.#init.options.onProvisional?.({
        status: res.status,
        reason: res.reason,
        afterMs,
        ...(res.body.length > 0 ? { sdp: res.body } : {}),
        ...attestationOf(res),
      });
    } catch (error) {
      this.#init.logger.warn({ err: error, callId: this.callId }, 'onProvisional listener threw');
    }
  }

  #cancel(cause: CancelCause): void {
    if (this.#cancelCause || this.#settled) return;
    this.#cancelCause = cause;
    clearTimeout(this.#ringTimer);
    this.#init.logger.debug({ cause, callId: this.callId }, 'cancelling INVITE');
    // RFC 3261 §9.1: no CANCEL before a provisional; it goes out when one arrives.
    if (this.#heardProvisional) this.#sendCancel();
    else if (cause === 'aborted') {
      // The caller wants out now; a later 200 is hung up by the late-answer path.
      this.#reject?.(
        new SipFailure({
          status: 487,
          reason: 'Request Terminated',
          phase: 'setup',
          local: true,
          cancelCause: cause,
        }),
      );
    }
  }

  #sendCancel(): void {
    const request = this.#request;
    if (this.#cancelSent || !request) return;
    this.#cancelSent = true;
    if (!this.#settled) this.#armGiveUp('no final response after CANCEL');
    try {
      request.cancel({}, (err) => {
        if (err) this.#init.logger.debug({ err, callId: this.callId }, 'CANCEL could not be sent');
      });
    } catch (error) {
      this.#init.logger.debug({ err: error, callId: this.callId }, 'CANCEL could not be sent');
    }
  }

  #armGiveUp(why: string): void {
    clearTimeout(this.#giveUpTimer);
    this.#giveUpTimer = setTimeout(() => {
      this.#init.logger.debug({ callId: this.callId, why }, 'giving up on the INVITE');
      this.#reject?.(
        new SipFailure({
          status: 408,
          reason: 'Request Timeout',
          phase: this.#heardProvisional ? 'ringing' : 'transport',
          local: true,
          ...(this.#cancelCause ? { cancelCause: this.#cancelCause } : {}),
        }),
      );
    }, this.#init.giveUpMs);
  }

  #failureOf(error: unknown): SipFailure {
    const status = (error as { status?: unknown }).status;
    const authStatus = status === 401 || status === 407;
    const unsupported =
      authStatus && this.#challenge && !this.#challenge.md5Offered ? this.#challenge : undefined;
    const failure = failureFromSrfError(error, {
      phase: authStatus ? 'auth' : this.#heardProvisional ? 'ringing' : 'setup',
      cancelCause: status === 487 ? this.#cancelCause : undefined,
      // drachtio-srf sends credentials only in answer to a challenge, and only when the guard let it.
      afterCredentials: this.#challenge?.md5Offered === true,
    });
    if (!unsupported) return failure;
    const algorithm = unsupported.algorithms.join(', ');
    return new SipFailure({
      status: failure.status,
      reason: `${failure.reason}; the carrier asks for digest ${algorithm}, drachtio-srf computes MD5 only`,
      phase: 'auth',
      headers: failure.headers,
      unsupportedAlgorithm: algorithm,
      cause: error,
    });
  }

  #leg(dialog: SrfDialog): DrachtioCallLeg {
    return new DrachtioCallLeg({
      dialog,
      localSdp: this.#init.options.sdp,
      ...(this.#init.options.answerOffer ? { answerOffer: this.#init.options.answerOffer } : {}),
      ...(dialog.res !== undefined ? attestationOf(dialog.res) : {}),
      logger: this.#init.logger,
      byeWaitMs: this.#init.byeWaitMs,
      released: this.#init.released,
      timings: {
        inviteSentAt: this.#startedAt,
        setupMs: Math.round(performance.now() - this.#startedPerf),
        invitesSent: this.#invitesSent,
        ...(this.#postDialDelayMs !== undefined ? { postDialDelayMs: this.#postDialDelayMs } : {}),
      },
    });
  }
}

/** drachtio-srf joins repeated headers with `,`: one value stands for them all. */
function attestationOf(res: SrfResponse): { attestation?: NonNullable<CallLeg['attestation']> } {
  const attestation = callerAttestationOf(res.status, (name) => {
    const value = res.get(name);
    return value === undefined ? [] : [value];
  });
  return attestation !== undefined ? { attestation } : {};
}
