import type { Logger } from '../../log/index.js';
import type { SipTrunk } from '../sip-trunk.js';
import { Dialog } from './dialog.js';
import { EmbeddedCallLeg, type CallLegContext } from './embedded-call-leg.js';
import { parseNameAddr } from './message/parse-name-addr.js';
import type { SipRequest, SipResponse } from './message/sip-message.js';
import { serializeMessage } from './message/serialize-message.js';
import type { SipStack } from './sip-stack.js';
import { newTag } from './transaction/branch.js';
import type { Clock, SipTimerValues } from './transaction/sip-timers.js';
import type { RemoteAddress, TransportKind } from './transport/sip-transport.js';

/** A 2xx to one of our INVITEs, and what the INVITE was sent with. */
export interface EstablishInput {
  readonly trunk: SipTrunk;
  readonly invite: SipRequest;
  readonly response: SipResponse;
  readonly remote: RemoteAddress;
  readonly transport: TransportKind;
  readonly contact: string;
  readonly localSdp: string;
  /** The far end's SDP as the early dialog left it with the 2xx's (`latestSdp`); default the 2xx's body. */
  readonly remoteSdp?: string;
  readonly answerOffer?: (offer: string, localSdp: string) => string | undefined;
  readonly logger: Logger;
  readonly timings: EmbeddedCallLeg['timings'];
  /** Highest CSeq already used on the fork's early dialog (PRACK); default the INVITE's. */
  readonly localCSeq?: number;
}

/** What a call leg needs of the engine it lives in. */
export interface CallLegParts {
  readonly stack: SipStack;
  readonly userAgent: string;
  readonly clock: Clock;
  readonly timers: SipTimerValues;
  readonly respond: CallLegContext['respond'];
  /** Where the dialog's next request goes; `fallback` when its hop does not resolve. */
  resolveHop(dialog: Dialog, fallback: RemoteAddress): Promise<RemoteAddress>;
  requestInDialog(
    dialog: Dialog,
    method: string,
    fallback: RemoteAddress,
    extra?: { headers?: Array<[string, string]>; sdp?: string },
  ): Promise<SipResponse>;
  /** The leg is live: route its in-dialog requests to it, from `peers` (grows as hops resolve). */
  track(leg: EmbeddedCallLeg, trunk: SipTrunk, peers: RemoteAddress[]): void;
  /** The leg is over: forget it (only if it is still the one tracked under its dialog key). */
  release(leg: EmbeddedCallLeg): void;
}

/** ACKs the 2xx and turns it into a live call leg. */
export function establishCallLeg(parts: CallLegParts, input: EstablishInput): EmbeddedCallLeg {
  const { stack } = parts;
  const { dialog, cseq } = dialogOfAnswer(input, parts.userAgent);
  const peers: RemoteAddress[] = [input.remote];
  const sendAck = ackSender(parts, dialog, cseq, input, peers);
  const logAckFailure = (error: unknown): void =>
    input.logger.warn({ err: error, callId: dialog.callId }, 'ACK could not be sent');
  void sendAck().catch(logAckFailure);

  const context: CallLegContext = {
    logger: input.logger,
    clock: parts.clock,
    t1: parts.timers.t1,
    t2: parts.timers.t2,
    respond: parts.respond,
    resend: (bytes, remote) => void stack.send(bytes, remote).catch(logAckFailure),
    request: (d, method, extra) => parts.requestInDialog(d, method, input.remote, extra),
    reAck: () => void sendAck().catch(logAckFailure),
    ackReinvite: (reinviteCSeq) =>
      void ackSender(parts, dialog, reinviteCSeq, input, peers)().catch(logAckFailure),
    released: (leg) => parts.release(leg),
  };
  const leg = new EmbeddedCallLeg({
    dialog,
    context,
    localSdp: input.localSdp,
    remoteSdp: input.remoteSdp ?? input.response.body.toString('utf8'),
    ...(input.answerOffer ? { answerOffer: input.answerOffer } : {}),
    timings: input.timings,
    answer: input.response,
  });
  parts.track(leg, input.trunk, peers);
  return leg;
}

/** The dialog a 2xx creates (RFC 3261 §12.1.2), and the CSeq its ACK carries. */
function dialogOfAnswer(input: EstablishInput, userAgent: string): { dialog: Dialog; cseq: number } {
  const { invite, response } = input;
  const to = response.headers.get('To') ?? '';
  const from = invite.headers.get('From') ?? '';
  const contactHeader = response.headers.get('Contact');
  const cseq = Number((invite.headers.get('CSeq') ?? '1').split(/\s+/)[0]);
  const dialog = new Dialog({
    callId: invite.headers.get('Call-ID') ?? '',
    localTag: parseNameAddr(from).params.get('tag') ?? '',
    remoteTag: parseNameAddr(to).params.get('tag') ?? '',
    localParty: from,
    remoteParty: to,
    remoteTarget: contactHeader !== undefined ? parseNameAddr(contactHeader).uri : invite.uri,
    routeSet: [...response.headers.getAll('Record-Route')].reverse(),
    // RFC 3261 §12.2.1.1: CSeq keeps rising across the early and the confirmed dialog.
    localCSeq: Math.max(cseq, input.localCSeq ?? 0),
    transport: input.transport,
    contact: input.contact,
    userAgent,
  });
  return { dialog, cseq };
}

/**
 * ACK for 2xx is its own transaction (§13.2.2.4), carries the INVITE's credentials (§22.1), and
 * goes where the dialog says, not necessarily where the INVITE went. Built once, sent again for
 * each retransmitted 2xx.
 */
function ackSender(
  parts: CallLegParts,
  dialog: Dialog,
  cseq: number,
  input: EstablishInput,
  peers: RemoteAddress[],
): () => Promise<void> {
  const { stack } = parts;
  const ack = dialog.buildRequest('ACK', cseq);
  for (const name of ['Authorization', 'Proxy-Authorization']) {
    for (const value of input.invite.headers.getAll(name)) ack.headers.append(name, value);
  }
  let ackBytes: Buffer | undefined;
  let ackRemote: RemoteAddress = input.remote;
  return async () => {
    if (!ackBytes) {
      ackRemote = await parts.resolveHop(dialog, input.remote);
      // The route set's first hop (or the Contact) is the dialog's peer too.
      const known = peers.some(
        (p) =>
          p.address === ackRemote.address && p.port === ackRemote.port && p.transport === ackRemote.transport,
      );
      if (!known) peers.push(ackRemote);
      ack.headers.prepend(
        'Via',
        `SIP/2.0/${ackRemote.transport.toUpperCase()} ${stack.sentBy(ackRemote.transport)};rport;branch=z9hG4bK${newTag()}${newTag()}`,
      );
      ackBytes = serializeMessage(ack);
    }
    await stack.send(ackBytes, ackRemote);
  };
}
