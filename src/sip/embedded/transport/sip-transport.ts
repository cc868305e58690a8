import type { TypedEventEmitter } from '../../../kernel/index.js';
import type { SipMessage } from '../message/sip-message.js';

/** `tls` is TCP with TLS on top (RFC 3261 §26.2): our connections to carriers, and theirs to our listener. */
export type TransportKind = 'udp' | 'tcp' | 'tls';

/** Where a message came from or goes to. */
export interface RemoteAddress {
  readonly transport: TransportKind;
  readonly address: string;
  readonly port: number;
}

export type SipTransportEvents = {
  /** A well-formed message arrived. */
  message: [SipMessage, RemoteAddress, Buffer];
  /** Bytes arrived that are not a SIP message; already counted and dropped. */
  malformed: [RemoteAddress, string];
};

/** A bound socket (UDP) or listener plus connections (TCP) carrying SIP messages. */
export interface SipTransport extends TypedEventEmitter<SipTransportEvents> {
  readonly kind: TransportKind;
  readonly localAddress: string;
  readonly localPort: number;
  /** Messages dropped because they did not parse. */
  readonly malformedCount: number;
  send(data: Buffer, to: RemoteAddress): Promise<void>;
  close(): Promise<void>;
}

/** `host:port` key of a remote, IPv6 in brackets. */
export function remoteKey(remote: { address: string; port: number }): string {
  return remote.address.includes(':')
    ? `[${remote.address}]:${remote.port}`
    : `${remote.address}:${remote.port}`;
}
