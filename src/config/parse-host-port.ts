/** A `host:port` split into parts; IPv6 hosts are returned without brackets. */
export interface HostPort {
  readonly host: string;
  readonly port: number | undefined;
}

/**
 * Splits `host`, `host:port`, `[v6]` or `[v6]:port`. Returns undefined when the text is not one
 * of those shapes (a bare IPv6 address without brackets is ambiguous with a port, so refused).
 * The port is not range-checked here.
 */
export function parseHostPort(text: string): HostPort | undefined {
  const bracketed = /^\[([0-9A-Fa-f:.]+)\](?::(\d{1,5}))?$/.exec(text);
  if (bracketed !== null) {
    const [, host = '', port] = bracketed;
    return { host, port: port === undefined ? undefined : Number(port) };
  }
  const plain = /^([^\s:[\]/@]+)(?::(\d{1,5}))?$/.exec(text);
  if (plain === null) return undefined;
  const [, host = '', port] = plain;
  return { host, port: port === undefined ? undefined : Number(port) };
}
