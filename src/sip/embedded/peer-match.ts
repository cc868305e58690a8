import type { RemoteAddress } from './transport/sip-transport.js';

/**
 * Whether a message came from `expected`. UDP needs address and port: a spoofer on the
 * carrier's own host differs only by port. TCP needs the address only: a connection the carrier
 * opens to us comes from an ephemeral port, and a forged TCP source needs a completed handshake.
 * TLS is TCP underneath, on connections we opened or a carrier opened to our listener.
 */
export function isSamePeer(source: RemoteAddress, expected: RemoteAddress): boolean {
  if (source.transport !== expected.transport) return false;
  if (normalize(source.address) !== normalize(expected.address)) return false;
  return source.transport !== 'udp' || source.port === expected.port;
}

/** `::ffff:1.2.3.4` (a dual-stack socket) is `1.2.3.4`. */
function normalize(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address.toLowerCase();
}
