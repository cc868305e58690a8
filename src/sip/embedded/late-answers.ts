import type { Logger } from '../../log/index.js';
import type { SipTrunk } from '../sip-trunk.js';
import { dialogKey } from './dialog.js';
import type { EmbeddedCallLeg } from './embedded-call-leg.js';
import type { EstablishInput } from './establish-call-leg.js';
import { parseNameAddr } from './message/parse-name-addr.js';
import type { SipRequest, SipResponse } from './message/sip-message.js';
import { isSamePeer } from './peer-match.js';
import type { Clock, TimerHandle } from './transaction/sip-timers.js';
import type { RemoteAddress, TransportKind } from './transport/sip-transport.js';

/** An INVITE of the last 64·T1, kept to end a 2xx that comes for it late. */
export interface RecentInvite {
  readonly key: string;
  readonly trunk: SipTrunk;
  readonly remote: RemoteAddress;
  readonly transport: TransportKind;
  readonly contact: string;
  readonly logger: Logger;
  readonly invite: () => SipRequest | undefined;
  /** Highest CSeq of a fork's early dialog (PRACK), so its BYE goes above it. */
  readonly earlyCSeqOf?: (remoteTag: string) => number | undefined;
  /** To tags already ACKed: the answered leg's, and each late one ended. */
  readonly handledTags: Set<string>;
  /** Told when a late 2xx was ended (an orphan's INVITE: the person had answered). */
  readonly onLateAnswer?: () => void;
  forget?: TimerHandle;
}

export interface LateAnswersOptions {
  readonly clock: Clock;
  /** How long an INVITE is kept once it settled. */
  readonly keepMs: number;
  readonly logger: Logger;
  readonly legOf: (key: string) => EmbeddedCallLeg | undefined;
  readonly isTrunkAddress: (source: RemoteAddress) => boolean;
  readonly isLegPeer: (key: string, source: RemoteAddress) => boolean;
  readonly recordSpoofed: (source: RemoteAddress, detail: { callId: string; what: string }) => void;
  readonly establish: (input: EstablishInput) => EmbeddedCallLeg;
}

/**
 * INVITEs of the last 64·T1 (at least 32 s), answered or not: a 2xx that comes after we gave up
 * (it crossed our CANCEL, or Timer B fired first) or from a second fork must be ACKed and hung
 * up (RFC 3261 §13.2.2.4), or the callee stays on an open line while the number looks free.
 */
export class LateAnswers {
  readonly #o: LateAnswersOptions;
  readonly #recent = new Map<string, RecentInvite>();
  #ended = 0;

  constructor(options: LateAnswersOptions) {
    this.#o = options;
  }

  /** Late answers ACKed and hung up so far. */
  get ended(): number {
    return this.#ended;
  }

  /** Keeps an INVITE from its first send; `forgetLater` once it settled. */
  remember(callId: string, fromTag: string, invite: Omit<RecentInvite, 'key' | 'handledTags'>): RecentInvite {
    const recent: RecentInvite = { ...invite, key: dialogKey(callId, fromTag), handledTags: new Set() };
    this.#recent.set(recent.key, recent);
    return recent;
  }

  forgetLater(recent: RecentInvite): void {
    recent.forget = this.#o.clock.setTimer(this.#o.keepMs, () => {
      if (this.#recent.get(recent.key) === recent) this.#recent.delete(recent.key);
    });
  }

  /** A 2xx after the INVITE transaction ended: re-ACK its dialog, or ACK and BYE an unknown fork. */
  onStray2xx(response: SipResponse, source: RemoteAddress): void {
    const callId = response.headers.get('Call-ID') ?? '';
    const fromTag = parseNameAddr(response.headers.get('From') ?? '').params.get('tag') ?? '';
    this.onLate2xx(response, callId, fromTag, source);
  }

  /**
   * `source` is where a 2xx no transaction claimed came from; absent when a transaction passed
   * it up (the stack checked its source then).
   */
  onLate2xx(response: SipResponse, callId: string, fromTag: string, source?: RemoteAddress): void {
    const key = dialogKey(callId, fromTag);
    const leg = this.#o.legOf(key);
    const recent = this.#recent.get(key);
    if (source !== undefined) {
      // A forged 2xx would otherwise make us ACK (and BYE) wherever its Contact points.
      const fromPeer =
        this.#o.isTrunkAddress(source) ||
        (leg !== undefined && this.#o.isLegPeer(key, source)) ||
        (recent !== undefined && isSamePeer(source, recent.remote));
      if (!fromPeer) {
        this.#o.recordSpoofed(source, { callId, what: `${response.status} INVITE` });
        return;
      }
    }
    const remoteTag = parseNameAddr(response.headers.get('To') ?? '').params.get('tag');
    if (leg && leg.dialog.remoteTag === remoteTag) {
      leg.handleRetransmitted2xx();
      return;
    }
    const invite = recent?.invite();
    if (recent === undefined || invite === undefined || remoteTag === undefined || remoteTag === null) {
      this.#o.logger.debug({ callId, remoteTag }, '2xx for no INVITE of ours; ignored');
      return;
    }
    // Retransmissions of a 2xx already ended here find no leg once its BYE is done: once is enough.
    if (recent.handledTags.has(remoteTag)) return;
    recent.handledTags.add(remoteTag);
    this.#endLate(recent, invite, response, callId, remoteTag);
  }

  /** Forgets every INVITE kept (the engine is closing). */
  close(): void {
    for (const recent of this.#recent.values()) recent.forget?.cancel();
    this.#recent.clear();
  }

  #endLate(
    recent: RecentInvite,
    invite: SipRequest,
    response: SipResponse,
    callId: string,
    remoteTag: string,
  ): void {
    this.#ended += 1;
    recent.logger.info(
      { callId, remoteTag },
      'answered after we gave up on the INVITE (crossed our CANCEL or timeout, or a second fork): ACK and BYE',
    );
    const late = this.#o.establish({
      trunk: recent.trunk,
      invite,
      response,
      remote: recent.remote,
      transport: recent.transport,
      contact: recent.contact,
      localSdp: '',
      logger: recent.logger,
      ...localCSeqOf(recent, remoteTag),
      timings: { inviteSentAt: Date.now(), setupMs: 0, invitesSent: 1 },
    });
    void late.hangup('late-2xx');
    recent.onLateAnswer?.();
  }
}

function localCSeqOf(recent: RecentInvite, remoteTag: string): { localCSeq?: number } {
  const localCSeq = recent.earlyCSeqOf?.(remoteTag);
  return localCSeq !== undefined ? { localCSeq } : {};
}
