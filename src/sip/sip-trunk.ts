/** What a SIP engine needs to know about a carrier account. A subset of the trunk config. */
export interface SipTrunk {
  /** Name used in logs, metrics and queue names. */
  readonly name: string;
  /**
   * Where requests are sent: `host`, `host:port`, or a domain resolved by SRV then A/AAAA.
   * Default: `domain`.
   */
  readonly proxy?: string;
  /** Host part of the Request-URI, From and To (`sip:<digits>@<domain>`). */
  readonly domain: string;
  /** Signalling transport to the carrier. Default: the engine's transport. */
  readonly transport?: 'udp' | 'tcp' | 'tls';
  /** `sips:` URIs (RFC 3261 §26.2.2) in Request-URI, From, To and Contact; needs `transport: tls`. */
  readonly sips?: boolean;
  /** How the carrier's certificate is checked and ours presented, with `transport: tls`. */
  readonly tls?: SipTrunkTls;
  /** User part of From and Contact, and the digest username unless `authUsername` is set. */
  readonly username?: string;
  /** Digest username when the carrier's differs from the From user. */
  readonly authUsername?: string;
  /** Digest password. Never logged. */
  readonly password?: string;
  /** P-Asserted-Identity form for the caller ID (RFC 3325). Default: the config default, `sip`. */
  readonly pAssertedIdentity?: 'sip' | 'tel' | 'off';
  /** A number or URI sent as `Diversion: <uri>;reason=unconditional` (RFC 5806). */
  readonly diversion?: string;
  /** Expires asked for in REGISTER, seconds. Default: 3600. The refresh follows what is granted. */
  readonly registerExpiresSec?: number;
}

/** TLS settings of a trunk: files are read by the engine, never logged. */
export interface SipTrunkTls {
  /** PEM CA bundle the carrier's certificate must chain to. Default: the system's CAs. */
  readonly ca?: string;
  /** PEM client certificate (chain) to present, with `key`. */
  readonly cert?: string;
  /** PEM private key of `cert`, unencrypted. Never logged. */
  readonly key?: string;
  /** The name the carrier's certificate must carry, and the SNI. Default: `domain`. */
  readonly servername?: string;
  /** False skips certificate checks: tests only (config demands `insecure: true` with it). Default: true. */
  readonly rejectUnauthorized?: boolean;
}

/** Credentials shaped for the digest layer; `password` never leaves the engine. */
export function trunkCredentials(trunk: SipTrunk): { username: string; password: string } | undefined {
  const username = trunk.authUsername ?? trunk.username;
  if (username === undefined || trunk.password === undefined) return undefined;
  return { username, password: trunk.password };
}
