import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { parseCidr } from '../config/index.js';
import { CallbackDestinationError } from './callback-destination-error.js';
import { nonPublicRange } from './non-public-range.js';

export interface CheckedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/**
 * Where status callbacks may go: public addresses, plus the networks and host names that
 * `callbacks.allowPrivate` names. The check is made at delivery, on every address the name
 * resolves to, and the request connects to the checked address: a name that resolves to a public
 * address when checked and to 127.0.0.1 when connected (DNS rebinding) cannot slip through.
 */
export class CallbackDestinations {
  readonly #allowedNets = new BlockList();
  readonly #allowedHosts = new Set<string>();

  /** `allowPrivate`: CIDRs, addresses or host names, as validated by the config. */
  constructor(allowPrivate: readonly string[] = []) {
    for (const entry of allowPrivate) {
      const cidr = parseCidr(entry);
      if (cidr) this.#allowedNets.addSubnet(cidr.address, cidr.prefix, cidr.family);
      else this.#allowedHosts.add(normalHost(entry));
    }
  }

  /**
   * The address to connect to for `url`; rejects with CallbackDestinationError when any address
   * of its host is non-public and not allowed, or with the resolver's error when it has none.
   */
  async resolve(url: URL): Promise<CheckedAddress> {
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    const version = isIP(host);
    const addresses: CheckedAddress[] =
      version !== 0
        ? [{ address: host, family: version as 4 | 6 }]
        : (await lookup(host, { all: true, verbatim: true })).map((a) => ({
            address: a.address,
            family: a.family as 4 | 6,
          }));
    const hostAllowed = version === 0 && this.#allowedHosts.has(normalHost(host));
    for (const candidate of addresses) {
      const range = nonPublicRange(candidate.address);
      if (range === undefined || hostAllowed) continue;
      if (this.#allowedNets.check(candidate.address, candidate.family === 4 ? 'ipv4' : 'ipv6')) continue;
      throw new CallbackDestinationError(url.origin, candidate.address, range);
    }
    const first = addresses[0];
    if (first === undefined) throw new Error(`${host} resolved to no address`);
    return first;
  }
}

function normalHost(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}
