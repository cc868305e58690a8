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
  readonly transport?: 'udp' | 'tcp';
  /** User part of From and Contact, and the digest username unless `authUsername` is set. */
  readonly username?: string;
  /** Digest username when the carrier's differs from the From user. */
  readonly authUsername?: string;
  /** Digest password. Never logged. */
  readonly password?: string;
  /** Expires asked for in REGISTER, seconds. Default: 3600. The refresh follows what is granted. */
  readonly registerExpiresSec?: number;
}

/** Credentials shaped for the digest layer; `password` never leaves the engine. */
export function trunkCredentials(trunk: SipTrunk): { username: string; password: string } | undefined {
  const username = trunk.authUsername ?? trunk.username;
  if (username === undefined || trunk.password === undefined) return undefined;
  return { username, password: trunk.password };
}
