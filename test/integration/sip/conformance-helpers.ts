import type { CallEnd } from '../../../src/sip/engine.js';
import { SipFailure } from '../../../src/sip/sip-failure.js';
import type { SipTrunk } from '../../../src/sip/sip-trunk.js';
import type { SippPeer, WireMessage } from '../../helpers/sipp.js';

/** The offer every conformance call makes: G.711 both laws and telephone-event. */
export const SDP = [
  'v=0',
  'o=- 4242 0 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 40000 RTP/AVP 0 8 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16',
  'a=ptime:20',
  'a=sendrecv',
  '',
].join('\r\n');

/** A trunk pointing at the sipp peer, with the credentials the scenarios check (dialer1/secret). */
export function trunkFor(peer: SippPeer, overrides: Partial<SipTrunk> = {}): SipTrunk {
  return {
    name: 'carrier',
    domain: 'carrier.test',
    proxy: peer.uri,
    transport: peer.transport,
    username: 'dialer1',
    password: 'secret',
    ...overrides,
  };
}

/** What sipp received (that is, what the engine sent) of one method, in order. */
export function received(messages: WireMessage[], method: string): WireMessage[] {
  return messages.filter((m) => m.direction === 'received' && m.method === method);
}

/** The SipFailure a call rejects with; fails the test if it succeeds or rejects with anything else. */
export async function failureOf(promise: Promise<unknown>): Promise<SipFailure> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SipFailure) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

export function endedOf(leg: { on(event: 'ended', fn: (end: CallEnd) => void): unknown }): Promise<CallEnd> {
  return new Promise((resolve) => leg.on('ended', resolve));
}
