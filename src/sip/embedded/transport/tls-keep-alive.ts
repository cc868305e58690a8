/** CRLF keep-alive on our TLS connections (RFC 5626 §4.4.1). */
export interface TlsKeepAlive {
  /** A CRLFCRLF ping goes out every 80–100 % of this, ms; 0 sends none. */
  readonly intervalMs: number;
  /** No byte back (the CRLF pong, or any message) this long after a ping closes the connection, ms. */
  readonly timeoutMs: number;
}
