import type { SecureContext } from 'node:tls';

/** How to open and check a TLS connection to one carrier address. */
export interface TlsPeer {
  /** The trunk the address belongs to: named in errors. */
  readonly trunk: string;
  /**
   * The name the certificate must carry (RFC 5922 §7.2: the SIP domain, or the configured
   * servername); also sent as SNI unless it is an IP address, which SNI cannot carry.
   */
  readonly identity: string;
  /** CA bundle (else the system's), client certificate and key. Built once per trunk. */
  readonly context: SecureContext;
  /** False only with the config's explicit `insecure` acknowledgement (tests). */
  readonly rejectUnauthorized: boolean;
}
