import { promises as dns, type SrvRecord } from 'node:dns';
import { isIP } from 'node:net';
import { orderSrvRecords } from './order-srv-records.js';
import { SipResolveError } from './sip-resolve-error.js';

/** One address to send SIP to, in the order it should be tried. */
export interface SipTarget {
  readonly address: string;
  readonly port: number;
  readonly family: 4 | 6;
}

/** The part of `dns.promises.Resolver` used here; tests pass one pointed at their own server. */
export interface SipDnsResolver {
  resolveSrv(hostname: string): Promise<SrvRecord[]>;
  resolve4(hostname: string): Promise<string[]>;
  resolve6(hostname: string): Promise<string[]>;
}

export interface ResolveSipTargetOptions {
  /** Default: a `dns.promises.Resolver` using the system's name servers. */
  resolver?: SipDnsResolver;
  /**
   * When A/AAAA find nothing, ask the operating system (`getaddrinfo`, so /etc/hosts and
   * `localhost` work). Default: true only when no `resolver` is given, so a test's resolver
   * stays the only source of answers.
   */
  systemLookup?: boolean;
  /** For the weighted SRV order. Default: `Math.random`. */
  random?: () => number;
}

/** One SRV record (or the implicit one of a host without SRV) with its addresses. */
export interface SipServiceEntry {
  readonly priority: number;
  readonly weight: number;
  readonly targets: readonly SipTarget[];
}

/** RFC 3261 §19.1.2: 5060 for UDP and TCP, 5061 for TLS. */
function defaultPort(transport: 'udp' | 'tcp' | 'tls'): number {
  return transport === 'tls' ? 5061 : 5060;
}

/** RFC 3263 §4.2: TLS is looked up as `_sips._tcp`. */
function srvName(host: string, transport: 'udp' | 'tcp' | 'tls'): string {
  return transport === 'tls' ? `_sips._tcp.${host}` : `_sip._${transport}.${host}`;
}

/**
 * Addresses for a SIP `target` (`host`, `host:port`, `[v6]`, `[v6]:port`), in the order to try
 * them, per RFC 3263 without NAPTR: an IP literal is itself; a host with a port is its A then
 * AAAA records; a host without a port is its `_sip._udp` / `_sip._tcp` / `_sips._tcp` (TLS) SRV
 * records in RFC 2782 order, each resolved to A then AAAA, or, with no SRV, its A/AAAA records on
 * port 5060 (5061 for TLS).
 * Rejects with `SipResolveError` when nothing resolves.
 */
export async function resolveSipTarget(
  target: string,
  transport: 'udp' | 'tcp' | 'tls',
  options: ResolveSipTargetOptions = {},
): Promise<SipTarget[]> {
  return orderSipService(await lookupSipService(target, transport, options), options.random);
}

/** The DNS half of `resolveSipTarget`: what to order, without ordering it (so caches can reorder per call). */
export async function lookupSipService(
  target: string,
  transport: 'udp' | 'tcp' | 'tls',
  options: ResolveSipTargetOptions = {},
): Promise<SipServiceEntry[]> {
  const { host, port } = splitTarget(target);
  const family = isIP(host);
  if (family === 4 || family === 6) {
    return [
      { priority: 0, weight: 0, targets: [{ address: host, port: port ?? defaultPort(transport), family }] },
    ];
  }
  const resolver = options.resolver ?? new dns.Resolver();
  const systemLookup = options.systemLookup ?? options.resolver === undefined;
  if (port !== undefined) {
    const targets = await addressesOf(host, port, resolver, systemLookup);
    return [{ priority: 0, weight: 0, targets }];
  }

  const service = srvName(host, transport);
  // Any SRV failure (no such name, no data, a timeout) falls back to A/AAAA (RFC 3263 §4.2).
  const srv = await resolver.resolveSrv(service).catch((): SrvRecord[] => []);
  const usable = srv.filter((record) => record.name !== '' && record.name !== '.');
  if (srv.length > 0 && usable.length === 0) {
    // A lone "." target means the domain declares it offers no SIP service on this transport.
    throw new SipResolveError(host, `${service} says the service is not available`);
  }
  if (usable.length === 0) {
    const targets = await addressesOf(host, defaultPort(transport), resolver, systemLookup);
    return [{ priority: 0, weight: 0, targets }];
  }
  const entries = await Promise.all(
    usable.map(async (record) => ({
      priority: record.priority,
      weight: record.weight,
      targets: await addressesOf(record.name, record.port, resolver, systemLookup).catch(() => []),
    })),
  );
  const resolved = entries.filter((entry) => entry.targets.length > 0);
  if (resolved.length === 0) {
    throw new SipResolveError(
      host,
      `no SRV target of ${service} has an address (${usable.map((r) => r.name).join(', ')})`,
    );
  }
  return resolved;
}

/** Flattens entries into the order to try: RFC 2782 over the entries, each one's A before AAAA. */
export function orderSipService(
  entries: readonly SipServiceEntry[],
  random: () => number = Math.random,
): SipTarget[] {
  return orderSrvRecords(entries, random).flatMap((entry) => entry.targets);
}

function splitTarget(target: string): { host: string; port: number | undefined } {
  if (isIP(target) === 6) return { host: target, port: undefined };
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]/@;]+))(?::(\d{1,5}))?$/.exec(target);
  const host = match?.[1] ?? match?.[2];
  if (match === null || host === undefined) {
    throw new SipResolveError(target, 'expected host, host:port, [v6] or [v6]:port');
  }
  const port = match[3] === undefined ? undefined : Number(match[3]);
  if (port !== undefined && (port < 1 || port > 65535)) {
    throw new SipResolveError(host, `port ${port} is outside 1..65535`);
  }
  if (match[1] !== undefined && isIP(host) !== 6) {
    throw new SipResolveError(target, 'brackets must hold an IPv6 address');
  }
  return { host: host.replace(/\.$/, ''), port };
}

async function addressesOf(
  host: string,
  port: number,
  resolver: SipDnsResolver,
  systemLookup: boolean,
): Promise<SipTarget[]> {
  const [v4, v6] = await Promise.allSettled([resolver.resolve4(host), resolver.resolve6(host)]);
  const targets: SipTarget[] = [
    ...(v4.status === 'fulfilled' ? v4.value.map((address) => ({ address, port, family: 4 as const })) : []),
    ...(v6.status === 'fulfilled' ? v6.value.map((address) => ({ address, port, family: 6 as const })) : []),
  ];
  if (targets.length > 0) return targets;
  if (systemLookup) {
    const found = await dns.lookup(host, { all: true }).catch(() => []);
    const fromSystem = found
      .filter((entry) => entry.family === 4 || entry.family === 6)
      .sort((a, b) => a.family - b.family)
      .map((entry) => ({ address: entry.address, port, family: entry.family as 4 | 6 }));
    if (fromSystem.length > 0) return fromSystem;
  }
  const failure = v4.status === 'rejected' ? v4.reason : v6.status === 'rejected' ? v6.reason : undefined;
  throw new SipResolveError(host, `no A or AAAA record (${errorCode(failure) ?? 'no data'})`, {
    cause: failure,
  });
}

function errorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string')
    return error.code;
  return undefined;
}
