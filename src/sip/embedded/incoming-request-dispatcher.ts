import type { Logger } from '../../log/index.js';
import { buildResponse } from './build-response.js';
import { dialogKey } from './dialog.js';
import type { EarlyDialogs } from './early-dialogs.js';
import { ALLOWED_METHODS, type EmbeddedCallLeg } from './embedded-call-leg.js';
import { parseNameAddr } from './message/parse-name-addr.js';
import type { SipRequest } from './message/sip-message.js';
import { serializeMessage } from './message/serialize-message.js';
import { ServerResponseCache } from './server-response-cache.js';
import type { SipStack } from './sip-stack.js';
import type { SpoofedMessageLog } from './spoofed-message-log.js';
import { newTag } from './transaction/branch.js';
import type { RemoteAddress } from './transport/sip-transport.js';

export interface IncomingRequestDispatcherOptions {
  readonly stack: SipStack;
  /** Our answers of the last 64·T1: a retransmitted request gets the same bytes again. */
  readonly responses: ServerResponseCache;
  readonly userAgent: string;
  readonly logger: Logger;
  readonly spoofed: SpoofedMessageLog;
  readonly legOf: (key: string) => EmbeddedCallLeg | undefined;
  /** The early dialogs of an INVITE not answered yet. */
  readonly earlyOf: (key: string) => EarlyDialogs | undefined;
  readonly isLegPeer: (key: string, source: RemoteAddress) => boolean;
  readonly isTrunkAddress: (source: RemoteAddress) => boolean;
}

/** What a response may carry besides its status line. */
export interface ResponseExtra {
  readonly headers?: Array<[string, string]>;
  readonly sdp?: string;
  /** Default true; false leaves out User-Agent (product and version). */
  readonly withVersion?: boolean;
}

/**
 * Every request that reaches the engine: a retransmission gets our answer again, an in-dialog
 * request goes to its call leg (when it comes from that leg's peer), and the rest is answered
 * here, as a user agent that places calls and takes none.
 */
export class IncomingRequestDispatcher {
  readonly #o: IncomingRequestDispatcherOptions;

  constructor(options: IncomingRequestDispatcherOptions) {
    this.#o = options;
  }

  dispatch(request: SipRequest, remote: RemoteAddress): void {
    if (request.method !== 'ACK') {
      const key = ServerResponseCache.keyOf(request);
      const cached = key ? this.#o.responses.lookup(key) : undefined;
      if (cached) {
        void this.#o.stack.send(cached.bytes, cached.remote).catch(() => undefined);
        return;
      }
    }
    const callId = request.headers.get('Call-ID') ?? '';
    const toTag = parseNameAddr(request.headers.get('To') ?? '').params.get('tag');
    const leg = toTag ? this.#o.legOf(dialogKey(callId, toTag)) : undefined;
    if (leg) {
      if (!this.#o.isLegPeer(leg.dialog.key, remote)) {
        // A stranger who learnt the Call-ID and tags must not end or change a billed call.
        this.#o.spoofed.record('request', remote, { callId, what: request.method });
        if (request.method !== 'ACK') this.respond(request, remote, 403, 'Forbidden', { withVersion: false });
        return;
      }
      leg.handleRequest(request, remote);
      return;
    }
    const early = toTag ? this.#o.earlyOf(dialogKey(callId, toTag)) : undefined;
    if (early && request.method !== 'INVITE') {
      if (!this.#o.isTrunkAddress(remote) && !early.isPeer(remote)) {
        this.#o.spoofed.record('request', remote, { callId, what: request.method });
        if (request.method !== 'ACK') this.respond(request, remote, 403, 'Forbidden', { withVersion: false });
        return;
      }
      early.handleRequest(request, remote);
      return;
    }
    this.#outOfDialog(request, remote, toTag);
  }

  /** Sends a response and remembers it for the request's retransmissions. */
  respond(
    request: SipRequest,
    remote: RemoteAddress,
    status: number,
    reason: string,
    extra: ResponseExtra = {},
  ): Buffer | undefined {
    const product: Array<[string, string]> =
      extra.withVersion === false ? [] : [['User-Agent', this.#o.userAgent]];
    const response = buildResponse(request, status, reason, {
      toTag: newTag(),
      headers: [...product, ...(extra.headers ?? [])],
      ...(extra.sdp !== undefined
        ? { body: { contentType: 'application/sdp', data: Buffer.from(extra.sdp, 'utf8') } }
        : {}),
    });
    const bytes = serializeMessage(response);
    const key = ServerResponseCache.keyOf(request);
    if (key) this.#o.responses.remember(key, bytes, remote);
    void this.#o.stack
      .send(bytes, remote)
      .catch((error: unknown) => this.#o.logger.debug({ err: error }, 'response could not be sent'));
    return bytes;
  }

  #outOfDialog(request: SipRequest, remote: RemoteAddress, toTag: string | null | undefined): void {
    // Strangers learn nothing about what runs here: no User-Agent (product and version) for them.
    const withVersion = this.#o.isTrunkAddress(remote);
    switch (request.method) {
      case 'ACK':
        return;
      case 'OPTIONS':
        // Carriers ping registered contacts; answering keeps the trunk marked alive. Anyone else
        // gets 200 too, but without User-Agent: a carrier may ping from an address its DNS does not
        // name (a monitoring node, another SBC of the pool), and a 403 there would mark the trunk
        // down; a bare 200 tells a scanner only that something speaks SIP, which the port does.
        this.respond(request, remote, 200, 'OK', {
          headers: [
            ['Allow', ALLOWED_METHODS],
            ['Accept', 'application/sdp'],
          ],
          withVersion,
        });
        return;
      case 'INVITE':
        if (toTag) this.respond(request, remote, 481, 'Call/Transaction Does Not Exist', { withVersion });
        else this.respond(request, remote, 480, 'Temporarily Unavailable', { withVersion });
        return;
      case 'NOTIFY':
        // Unsolicited NOTIFY (message-summary) from some carriers: accept and ignore.
        this.respond(request, remote, toTag ? 481 : 200, toTag ? 'Call/Transaction Does Not Exist' : 'OK', {
          withVersion,
        });
        return;
      case 'BYE':
      case 'CANCEL':
      case 'UPDATE':
      case 'INFO':
        this.respond(request, remote, 481, 'Call/Transaction Does Not Exist', { withVersion });
        return;
      default:
        this.respond(request, remote, 405, 'Method Not Allowed', {
          headers: [['Allow', ALLOWED_METHODS]],
          withVersion,
        });
    }
  }
}
