import { describe, expect, it } from 'vitest';

import { createRequest, SipHeaders, type SipRequest } from '../../../src/sip/embedded/message/index.js';
import { ServerResponseCache } from '../../../src/sip/embedded/server-response-cache.js';
import type { RemoteAddress } from '../../../src/sip/embedded/transport/sip-transport.js';
import { FakeClock } from '../../helpers/fake-clock.js';

const remote: RemoteAddress = { transport: 'udp', address: '198.51.100.7', port: 5060 };

function request(
  method: string,
  options: { branch?: string; cseq?: number; callId?: string } = {},
): SipRequest {
  const headers = new SipHeaders()
    .append('Via', `SIP/2.0/UDP 198.51.100.7:5060;branch=${options.branch ?? 'z9hG4bKpeer1'}`)
    .append('From', '<sip:carrier.test>;tag=peer')
    .append('To', '<sip:dialer@192.0.2.10>;tag=ltag')
    .append('Call-ID', options.callId ?? 'call-1@carrier.test')
    .append('CSeq', `${options.cseq ?? 10} ${method}`);
  return createRequest(method, 'sip:dialer@192.0.2.10:5060', headers);
}

describe('ServerResponseCache.keyOf', () => {
  it('is the same for a retransmission and differs by branch, CSeq, method and Call-ID', () => {
    const key = ServerResponseCache.keyOf(request('BYE'));
    expect(key).toBeDefined();
    expect(ServerResponseCache.keyOf(request('BYE'))).toBe(key);
    const others = [
      request('BYE', { branch: 'z9hG4bKpeer2' }),
      request('BYE', { cseq: 11 }),
      request('BYE', { callId: 'call-2@carrier.test' }),
      request('INFO'),
    ].map((r) => ServerResponseCache.keyOf(r));
    expect(new Set([key, ...others]).size).toBe(5);
  });

  it('is undefined without Via or CSeq', () => {
    const noVia = request('BYE');
    noVia.headers.delete('Via');
    const noCSeq = request('BYE');
    noCSeq.headers.delete('CSeq');
    expect(ServerResponseCache.keyOf(noVia)).toBeUndefined();
    expect(ServerResponseCache.keyOf(noCSeq)).toBeUndefined();
  });
});

describe('ServerResponseCache', () => {
  it('answers a retransmitted request with the remembered response until the linger time is up', () => {
    const clock = new FakeClock();
    const cache = new ServerResponseCache(clock, 32_000);
    const key = ServerResponseCache.keyOf(request('BYE')) ?? '';
    const bytes = Buffer.from('SIP/2.0 200 OK\r\n\r\n');
    expect(cache.lookup(key)).toBeUndefined();
    cache.remember(key, bytes, remote);
    expect(cache.lookup(key)).toMatchObject({ bytes, remote });
    expect(cache.size).toBe(1);
    clock.advance(31_999);
    expect(cache.lookup(key)?.bytes).toBe(bytes);
    clock.advance(1);
    expect(cache.lookup(key)).toBeUndefined();
    expect(cache.size).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('a newer response for the same key replaces the old one and restarts its linger', () => {
    const clock = new FakeClock();
    const cache = new ServerResponseCache(clock, 1000);
    const first = Buffer.from('SIP/2.0 100 Trying\r\n\r\n');
    const second = Buffer.from('SIP/2.0 200 OK\r\n\r\n');
    cache.remember('k', first, remote);
    clock.advance(800);
    cache.remember('k', second, remote);
    expect(clock.pending).toBe(1);
    clock.advance(500);
    expect(cache.lookup('k')?.bytes).toBe(second);
    clock.advance(500);
    expect(cache.lookup('k')).toBeUndefined();
  });

  it('keeps entries apart and close() drops them all and cancels their timers, idempotently', () => {
    const clock = new FakeClock();
    const cache = new ServerResponseCache(clock, 32_000);
    cache.remember('a', Buffer.from('a'), remote);
    cache.remember('b', Buffer.from('b'), remote);
    expect(cache.lookup('a')?.bytes.toString()).toBe('a');
    expect(cache.lookup('b')?.bytes.toString()).toBe('b');
    expect(clock.pending).toBe(2);
    cache.close();
    cache.close();
    expect(cache.size).toBe(0);
    expect(clock.pending).toBe(0);
    expect(cache.lookup('a')).toBeUndefined();
  });
});
