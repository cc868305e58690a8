import type { Logger } from '../../log/index.js';
import { Dialog } from './dialog.js';
import { ALLOWED_METHODS } from './embedded-call-leg.js';
import { parseCSeq } from './message/parse-cseq.js';
import { parseNameAddr } from './message/parse-name-addr.js';
import { SipParseError } from './message/sip-parse-error.js';
import type { SipRequest, SipResponse } from './message/sip-message.js';
import { isSamePeer } from './peer-match.js';
import { readReliability } from './read-reliability.js';
import type { RemoteAddress, TransportKind } from './transport/sip-transport.js';

/**
 * Forks (To tags) one INVITE may open early dialogs for. Each costs a Dialog, a next-hop lookup and
 * a PRACK; RFC 3261 §13.2.2.4 sets no limit, so a hostile or broken downstream could open them
 * without end. Real forking fans out to a handful of phones at most.
 */
export const MAX_EARLY_DIALOGS = 8;

export interface EarlyDialogsInit {
  readonly callId: string;
  readonly transport: TransportKind;
  readonly contact: string;
  readonly userAgent: string;
  /** Where the INVITE went: the dialog's peer until a hop of its own resolves. */
  readonly remote: RemoteAddress;
  readonly logger: Logger;
  /** The INVITE's SDP offer: what each fork's session starts from. */
  readonly localSdp: string;
  /** `InviteOptions.answerOffer`: absent, an UPDATE offer is refused with 488. */
  readonly answerOffer?: (offer: string, localSdp: string) => string | undefined;
  resolveHop(dialog: Dialog, fallback: RemoteAddress): Promise<RemoteAddress>;
  /** Whether `address` is one the trunk's name resolved to. */
  isTrunkAddress(address: RemoteAddress): boolean;
  /**
   * Sends a request in the dialog to `hop` (answering challenges with the trunk's credentials):
   * the hop the caller checked, not one looked up again after the remote target may have moved.
   */
  requestInDialog(
    dialog: Dialog,
    method: string,
    hop: RemoteAddress,
    extra: { headers: Array<[string, string]> },
  ): Promise<SipResponse>;
  respond(
    request: SipRequest,
    remote: RemoteAddress,
    status: number,
    reason: string,
    extra?: { headers?: Array<[string, string]>; sdp?: string },
  ): void;
}

/** The session of one fork as its early dialog left it, for the confirmed dialog to go on from. */
export interface EarlySession {
  /** The SDP we last sent on the fork: the INVITE's offer, or our answer to its UPDATE. */
  readonly localSdp: string;
  /** The SDP the fork last sent: its provisional's answer, or the offer of its UPDATE. */
  readonly remoteSdp: string | undefined;
}

/** What the INVITE should do with a provisional response. */
export type ProvisionalVerdict =
  | { readonly action: 'process' }
  /** A retransmitted or out-of-order reliable provisional (RFC 3262 §4): not processed again. */
  | { readonly action: 'drop' }
  | { readonly action: 'fail'; readonly extensions: readonly string[] };

interface EarlyFork {
  readonly dialog: Dialog;
  /** RSeq of the last reliable provisional acknowledged on this fork. */
  lastRSeq: number | undefined;
  localSdp: string;
  remoteSdp: string | undefined;
}

/**
 * The early dialogs of one INVITE, one per fork (To tag) that sent a provisional: each reliable
 * provisional is PRACKed on its own fork (RFC 3262 §4), and requests the fork sends before the
 * answer (UPDATE, RFC 3311) are answered here.
 */
export class EarlyDialogs {
  readonly #init: EarlyDialogsInit;
  readonly #forks = new Map<string, EarlyFork>();
  readonly #peers: RemoteAddress[];
  /** Whether a fork beyond MAX_EARLY_DIALOGS was logged: once per INVITE is enough. */
  #overflowLogged = false;

  constructor(init: EarlyDialogsInit) {
    this.#init = init;
    this.#peers = [init.remote];
  }

  /** A provisional (above 100) to `invite`: PRACK it when reliable, say whether to process it. */
  onProvisional(response: SipResponse, invite: SipRequest): ProvisionalVerdict {
    const reliability = readReliability(response);
    if (reliability.kind === 'unsupported') return { action: 'fail', extensions: reliability.extensions };
    const fork = this.#forkOf(response, invite);
    if (fork !== undefined && fork !== 'overflow' && response.body.length > 0)
      fork.remoteSdp = response.body.toString('utf8');
    if (reliability.kind === 'unreliable') return { action: 'process' };
    if (fork === 'overflow') {
      // Past the cap the fork gets no dialog, so nothing to PRACK on; its ringing is still news.
      return { action: 'process' };
    }
    if (!fork) {
      // §12.1: a provisional without a To tag creates no dialog, so there is nowhere to PRACK;
      // the ringing it tells of is still news.
      this.#init.logger.debug(
        { callId: this.#init.callId },
        'reliable provisional without To tag; not PRACKed',
      );
      return { action: 'process' };
    }
    const { rseq } = reliability;
    // §4: only the next RSeq is acknowledged; a repeat is a retransmission (our PRACK's own
    // transaction covers its loss), anything else is out of order.
    if (fork.lastRSeq !== undefined && rseq !== fork.lastRSeq + 1) return { action: 'drop' };
    fork.lastRSeq = rseq;
    const cseq = parseCSeq(response.headers.get('CSeq') ?? '');
    void this.#prack(fork.dialog, `${rseq} ${cseq.seq} ${cseq.method}`);
    return { action: 'process' };
  }

  /** The highest CSeq we used on a fork's early dialog: its confirmed dialog goes on from it. */
  localCSeqOf(remoteTag: string): number | undefined {
    return this.#forks.get(remoteTag)?.dialog.localCSeq;
  }

  /** A fork's session (undefined for a To tag that opened no early dialog). */
  sessionOf(remoteTag: string): EarlySession | undefined {
    const fork = this.#forks.get(remoteTag);
    return fork && { localSdp: fork.localSdp, remoteSdp: fork.remoteSdp };
  }

  /** Whether `source` may speak for these dialogs: the INVITE's target or a hop we resolved. */
  isPeer(source: RemoteAddress): boolean {
    return this.#peers.some((peer) => isSamePeer(source, peer));
  }

  /** A request on one of the early dialogs, from its peer (the caller checked). */
  handleRequest(request: SipRequest, remote: RemoteAddress): void {
    if (request.method === 'ACK') return;
    // Everything the request says is read before any state changes: a malformed header answers
    // 400 (RFC 3261 §8.2.2.1/§21.4.1) and leaves the dialog, its CSeq space included, as it was.
    let parsed: { fromTag: string; seq: number; contact: string | undefined };
    try {
      parsed = this.#readRequest(request);
    } catch (error) {
      if (!(error instanceof SipParseError)) throw error;
      this.#init.logger.info(
        { callId: this.#init.callId, method: request.method, err: error },
        'malformed request on an early dialog; answered 400',
      );
      this.#init.respond(request, remote, 400, 'Bad Request');
      return;
    }
    const fork = this.#forks.get(parsed.fromTag);
    if (!fork) {
      this.#init.respond(request, remote, 481, 'Call/Transaction Does Not Exist');
      return;
    }
    const last = fork.dialog.remoteCSeq;
    if (last !== undefined && parsed.seq < last) {
      this.#init.respond(request, remote, 500, 'Server Internal Error', { headers: [['Retry-After', '1']] });
      return;
    }
    fork.dialog.remoteCSeq = parsed.seq;
    const headers: Array<[string, string]> = [
      ['Contact', this.#init.contact],
      ['Allow', ALLOWED_METHODS],
    ];
    switch (request.method) {
      case 'UPDATE': {
        if (request.body.length > 0) {
          this.#answerEarlyOffer(fork, request, remote, parsed.contact, headers);
          return;
        }
        // §5.2: the UPDATE's Contact is the dialog's new remote target.
        if (parsed.contact !== undefined) fork.dialog.remoteTarget = parsed.contact;
        this.#init.respond(request, remote, 200, 'OK', { headers });
        return;
      }
      case 'OPTIONS':
        this.#init.respond(request, remote, 200, 'OK', {
          headers: [...headers, ['Accept', 'application/sdp'], ['Supported', '100rel, timer']],
        });
        return;
      default:
        this.#init.respond(request, remote, 501, 'Not Implemented', {
          headers: [['Allow', ALLOWED_METHODS]],
        });
    }
  }

  /**
   * An UPDATE offer before the answer (RFC 3311 §5.2): answered with the SDP `answerOffer` makes,
   * which the fork's confirmed dialog then starts from; 488 when there is none (no negotiator, or
   * the offer cannot be accepted), the session staying as the provisional set it.
   */
  #answerEarlyOffer(
    fork: EarlyFork,
    request: SipRequest,
    remote: RemoteAddress,
    contact: string | undefined,
    headers: Array<[string, string]>,
  ): void {
    const offer = request.body.toString('utf8');
    let answer: string | undefined;
    try {
      answer = this.#init.answerOffer?.(offer, fork.localSdp);
    } catch (error) {
      this.#init.logger.warn({ err: error, callId: this.#init.callId }, 'answering an UPDATE offer failed');
    }
    if (answer === undefined) {
      this.#init.respond(request, remote, 488, 'Not Acceptable Here', { headers });
      return;
    }
    fork.localSdp = answer;
    fork.remoteSdp = offer;
    // §5.2: a successful UPDATE refreshes the remote target.
    if (contact !== undefined) fork.dialog.remoteTarget = contact;
    this.#init.respond(request, remote, 200, 'OK', { headers, sdp: answer });
  }

  /** From tag, CSeq number and Contact URI of a request; throws SipParseError when one is malformed. */
  #readRequest(request: SipRequest): { fromTag: string; seq: number; contact: string | undefined } {
    const fromTag = parseNameAddr(request.headers.get('From') ?? '').params.get('tag') ?? '';
    const { seq } = parseCSeq(request.headers.get('CSeq') ?? '');
    const contactHeader = request.headers.get('Contact');
    const contact = contactHeader !== undefined ? parseNameAddr(contactHeader).uri : undefined;
    return { fromTag, seq, contact };
  }

  /**
   * The fork a provisional belongs to, its early dialog made from the first one (§12.1.2);
   * 'overflow' for a new To tag past MAX_EARLY_DIALOGS.
   */
  #forkOf(response: SipResponse, invite: SipRequest): EarlyFork | 'overflow' | undefined {
    const to = response.headers.get('To') ?? '';
    const remoteTag = parseNameAddr(to).params.get('tag');
    if (!remoteTag) return undefined;
    let fork = this.#forks.get(remoteTag);
    if (!fork && this.#forks.size >= MAX_EARLY_DIALOGS) {
      if (!this.#overflowLogged) {
        this.#overflowLogged = true;
        this.#init.logger.warn(
          { callId: this.#init.callId, max: MAX_EARLY_DIALOGS },
          'more forks than early dialogs allowed; further forks get no dialog and no PRACK',
        );
      }
      return 'overflow';
    }
    if (fork) {
      // §12.1.2 (via RFC 3262 §4): the remote target follows each provisional's Contact.
      const contact = response.headers.get('Contact');
      if (contact !== undefined) fork.dialog.remoteTarget = parseNameAddr(contact).uri;
      return fork;
    }
    const from = invite.headers.get('From') ?? '';
    const contact = response.headers.get('Contact');
    fork = {
      dialog: new Dialog({
        callId: this.#init.callId,
        localTag: parseNameAddr(from).params.get('tag') ?? '',
        remoteTag,
        localParty: from,
        remoteParty: to,
        remoteTarget: contact !== undefined ? parseNameAddr(contact).uri : invite.uri,
        routeSet: [...response.headers.getAll('Record-Route')].reverse(),
        localCSeq: parseCSeq(invite.headers.get('CSeq') ?? '').seq,
        transport: this.#init.transport,
        contact: this.#init.contact,
        userAgent: this.#init.userAgent,
      }),
      lastRSeq: undefined,
      localSdp: this.#init.localSdp,
      remoteSdp: undefined,
    };
    this.#forks.set(remoteTag, fork);
    return fork;
  }

  async #prack(dialog: Dialog, rack: string): Promise<void> {
    const { logger, callId } = this.#init;
    try {
      const hop = await this.#init.resolveHop(dialog, this.#init.remote);
      // The PRACK answers a digest challenge with the trunk's credentials, and where it goes
      // becomes a peer trusted to speak for the dialog. The hop comes from the provisional's
      // Record-Route or Contact, which any fork writes as it likes (RFC 3261 §12.1.2), so only
      // the trunk's own addresses or the INVITE's destination get it. A carrier behind which the
      // fork really sits routes through itself (Record-Route), which passes.
      if (!isSamePeer(hop, this.#init.remote) && !this.#init.isTrunkAddress(hop)) {
        logger.warn(
          { callId, rack, hop: `${hop.address}:${hop.port}` },
          'reliable provisional names a next hop that is not the trunk; not PRACKed',
        );
        return;
      }
      if (!this.isPeer(hop)) this.#peers.push(hop);
      const response = await this.#init.requestInDialog(dialog, 'PRACK', hop, { headers: [['RAck', rack]] });
      if (response.status >= 300)
        logger.warn({ callId, status: response.status, rack }, 'PRACK refused by the carrier');
    } catch (error) {
      logger.warn({ err: error, callId, rack }, 'PRACK got no answer');
    }
  }
}
