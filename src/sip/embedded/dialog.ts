import { parseNameAddr } from './message/parse-name-addr.js';
import { parseUri } from './message/parse-uri.js';
import { createRequest, SipHeaders, type SipRequest } from './message/sip-message.js';
import type { TransportKind } from './transport/sip-transport.js';

export interface DialogInit {
  readonly callId: string;
  readonly localTag: string;
  readonly remoteTag: string;
  /** Our From header value (with tag). */
  readonly localParty: string;
  /** Their To header value (with tag). */
  readonly remoteParty: string;
  /** Contact URI of the 2xx. */
  readonly remoteTarget: string;
  /** Record-Route of the 2xx, reversed (UAC side, RFC 3261 §12.1.2). */
  readonly routeSet: readonly string[];
  readonly localCSeq: number;
  readonly transport: TransportKind;
  /** Our Contact header value. */
  readonly contact: string;
  readonly userAgent: string;
}

/** Where an in-dialog request goes and what it carries (RFC 3261 §12.2.1.1). */
export interface NextHop {
  readonly host: string;
  readonly port: number | undefined;
  readonly transport: TransportKind;
}

/** UAC dialog state: route set, remote target and both CSeq spaces. */
export class Dialog {
  readonly callId: string;
  readonly localTag: string;
  readonly remoteTag: string;
  readonly localParty: string;
  readonly remoteParty: string;
  readonly routeSet: readonly string[];
  readonly transport: TransportKind;
  readonly contact: string;
  readonly userAgent: string;
  remoteTarget: string;
  localCSeq: number;
  /** Highest CSeq seen from the peer; a lower one is out of order (§12.2.2). */
  remoteCSeq: number | undefined;

  constructor(init: DialogInit) {
    this.callId = init.callId;
    this.localTag = init.localTag;
    this.remoteTag = init.remoteTag;
    this.localParty = init.localParty;
    this.remoteParty = init.remoteParty;
    this.routeSet = init.routeSet;
    this.remoteTarget = init.remoteTarget;
    this.localCSeq = init.localCSeq;
    this.transport = init.transport;
    this.contact = init.contact;
    this.userAgent = init.userAgent;
  }

  /** Key the engine files the dialog under: what an incoming request's Call-ID and To tag give. */
  get key(): string {
    return dialogKey(this.callId, this.localTag);
  }

  /**
   * Builds an in-dialog request with the given CSeq number (the caller takes it from
   * `nextCSeq()`, ACK reuses the INVITE's). Loose routing when the first route has `lr`,
   * strict routing otherwise.
   */
  buildRequest(method: string, cseq: number, body?: { contentType: string; data: Buffer }): SipRequest {
    const headers = new SipHeaders();
    headers.append('Max-Forwards', '70');
    const { requestUri, routes } = this.#routing();
    for (const route of routes) headers.append('Route', route);
    headers.append('From', this.localParty);
    headers.append('To', this.remoteParty);
    headers.append('Call-ID', this.callId);
    headers.append('CSeq', `${cseq} ${method}`);
    if (method !== 'ACK' && method !== 'CANCEL') {
      headers.append('Contact', this.contact);
      headers.append('User-Agent', this.userAgent);
    }
    if (body) headers.append('Content-Type', body.contentType);
    return createRequest(method, requestUri, headers, body?.data ?? Buffer.alloc(0));
  }

  nextCSeq(): number {
    this.localCSeq += 1;
    return this.localCSeq;
  }

  /** The URI whose host and port the next request is sent to. */
  nextHop(): NextHop {
    const first = this.routeSet[0];
    const uri = parseUri(first === undefined ? this.remoteTarget : parseNameAddr(first).uri);
    const transportParam = uri.params.get('transport')?.toLowerCase();
    // A sips: hop is TLS whatever its transport param says (RFC 3261 §26.2.2).
    const transport: TransportKind =
      uri.scheme === 'sips' || transportParam === 'tls'
        ? 'tls'
        : transportParam === 'tcp' || transportParam === 'udp'
          ? transportParam
          : this.transport;
    return { host: uri.host, port: uri.port, transport };
  }

  #routing(): { requestUri: string; routes: string[] } {
    const first = this.routeSet[0];
    if (first === undefined) return { requestUri: this.remoteTarget, routes: [] };
    const firstUri = parseNameAddr(first).uri;
    if (parseUri(firstUri).params.has('lr'))
      return { requestUri: this.remoteTarget, routes: [...this.routeSet] };
    // Strict router (RFC 2543 style): it takes the Request-URI, the remote target rides last.
    return { requestUri: firstUri, routes: [...this.routeSet.slice(1), `<${this.remoteTarget}>`] };
  }
}

export function dialogKey(callId: string, localTag: string): string {
  return `${callId}|${localTag}`;
}
