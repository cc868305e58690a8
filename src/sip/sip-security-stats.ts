/** What an engine refused from the network, for `/metrics`. Counters only ever grow. */
export interface SipSecurityStats {
  /** Messages from an address that is not the peer they claim to belong to, dropped or refused. */
  readonly spoofed: { readonly response: number; readonly request: number };
  /** Inbound TCP connections we closed, by the limit that closed them. */
  readonly tcpClosed: { readonly idle: number; readonly 'per-address': number; readonly total: number };
}
