import { describe, expect, it } from 'vitest';

import { Dialog, dialogKey, type DialogInit } from '../../../src/sip/embedded/dialog.js';
import { parseMessage, serializeMessage, type SipRequest } from '../../../src/sip/embedded/message/index.js';

const REMOTE_TARGET = 'sip:+15551234567@203.0.113.9:5080;transport=udp';

function dialog(overrides: Partial<DialogInit> = {}): Dialog {
  return new Dialog({
    callId: 'call-7@192.0.2.10',
    localTag: 'ltag',
    remoteTag: 'rtag',
    localParty: '<sip:dialer@192.0.2.10>;tag=ltag',
    remoteParty: '<sip:+15551234567@carrier.test>;tag=rtag',
    remoteTarget: REMOTE_TARGET,
    routeSet: [],
    localCSeq: 1,
    transport: 'udp',
    contact: '<sip:dialer@192.0.2.10:5060>',
    userAgent: 'sip-dialer/0.1',
    ...overrides,
  });
}

/** Through the wire and back, so the test sees what a peer would. */
function onTheWire(request: SipRequest): SipRequest {
  request.headers.prepend('Via', 'SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKtest');
  const parsed = parseMessage(serializeMessage(request));
  if (parsed.type !== 'request') throw new Error('expected a request');
  return parsed;
}

describe('Dialog.buildRequest', () => {
  it('with no route set sends to the remote target and carries no Route', () => {
    const bye = onTheWire(dialog().buildRequest('BYE', 2));
    expect(bye.method).toBe('BYE');
    expect(bye.uri).toBe(REMOTE_TARGET);
    expect(bye.headers.has('Route')).toBe(false);
  });

  it('loose routing (;lr): Request-URI is the remote target, Route is the route set in order', () => {
    const routeSet = ['<sip:edge1.carrier.test;lr>', '<sip:10.1.1.1:5070;lr;transport=tcp>'];
    const bye = onTheWire(dialog({ routeSet }).buildRequest('BYE', 2));
    expect(bye.uri).toBe(REMOTE_TARGET);
    expect(bye.headers.getAll('Route')).toEqual(routeSet);
  });

  it('strict routing (no lr): Request-URI is the first route, the rest then the remote target ride in Route', () => {
    const routeSet = ['<sip:strict.carrier.test>', '<sip:edge2.carrier.test;lr>'];
    const bye = onTheWire(dialog({ routeSet }).buildRequest('BYE', 2));
    expect(bye.uri).toBe('sip:strict.carrier.test');
    expect(bye.headers.getAll('Route')).toEqual(['<sip:edge2.carrier.test;lr>', `<${REMOTE_TARGET}>`]);
  });

  it('carries the dialog identifiers and the given CSeq', () => {
    const d = dialog();
    const bye = onTheWire(d.buildRequest('BYE', d.nextCSeq()));
    expect(bye.headers.get('From')).toBe('<sip:dialer@192.0.2.10>;tag=ltag');
    expect(bye.headers.get('To')).toBe('<sip:+15551234567@carrier.test>;tag=rtag');
    expect(bye.headers.get('Call-ID')).toBe('call-7@192.0.2.10');
    expect(bye.headers.get('CSeq')).toBe('2 BYE');
    expect(bye.headers.get('Max-Forwards')).toBe('70');
    expect(bye.headers.get('Contact')).toBe('<sip:dialer@192.0.2.10:5060>');
    expect(bye.headers.get('User-Agent')).toBe('sip-dialer/0.1');
  });

  it('ACK and CANCEL carry no Contact', () => {
    const d = dialog({ routeSet: ['<sip:edge1.carrier.test;lr>'] });
    for (const method of ['ACK', 'CANCEL']) {
      const request = onTheWire(d.buildRequest(method, 1));
      expect(request.headers.has('Contact')).toBe(false);
      expect(request.headers.get('CSeq')).toBe(`1 ${method}`);
      expect(request.headers.getAll('Route')).toEqual(['<sip:edge1.carrier.test;lr>']);
    }
  });

  it('carries a body with its Content-Type and length', () => {
    const sdp = Buffer.from('v=0\r\no=- 1 2 IN IP4 192.0.2.10\r\n');
    const reinvite = onTheWire(
      dialog().buildRequest('INVITE', 5, { contentType: 'application/sdp', data: sdp }),
    );
    expect(reinvite.headers.get('Content-Type')).toBe('application/sdp');
    expect(reinvite.headers.get('Content-Length')).toBe(String(sdp.length));
    expect(reinvite.body.equals(sdp)).toBe(true);
  });

  it('follows a remote target refresh', () => {
    const d = dialog();
    d.remoteTarget = 'sip:moved@203.0.113.77:5090';
    expect(d.buildRequest('BYE', d.nextCSeq()).uri).toBe('sip:moved@203.0.113.77:5090');
    expect(d.nextHop()).toEqual({ host: '203.0.113.77', port: 5090, transport: 'udp' });
  });
});

describe('Dialog.nextCSeq', () => {
  it('increments from the INVITE CSeq, one per request', () => {
    const d = dialog({ localCSeq: 41 });
    expect([d.nextCSeq(), d.nextCSeq(), d.nextCSeq()]).toEqual([42, 43, 44]);
    expect(d.localCSeq).toBe(44);
  });
});

describe('Dialog.nextHop', () => {
  it('is the remote target when the route set is empty', () => {
    expect(dialog().nextHop()).toEqual({ host: '203.0.113.9', port: 5080, transport: 'udp' });
  });

  it('is the first route when there is one (loose or strict), with its transport parameter', () => {
    expect(
      dialog({ routeSet: ['<sip:10.1.1.1:5070;lr;transport=tcp>', '<sip:edge2.carrier.test;lr>'] }).nextHop(),
    ).toEqual({
      host: '10.1.1.1',
      port: 5070,
      transport: 'tcp',
    });
    expect(dialog({ routeSet: ['<sip:strict.carrier.test>'] }).nextHop()).toEqual({
      host: 'strict.carrier.test',
      port: undefined,
      transport: 'udp',
    });
  });

  it('falls back to the dialog transport when the URI names none', () => {
    expect(dialog({ transport: 'tcp', remoteTarget: 'sip:bob@203.0.113.9' }).nextHop()).toEqual({
      host: '203.0.113.9',
      port: undefined,
      transport: 'tcp',
    });
  });
});

describe('Dialog.key', () => {
  it('is what an incoming request (Call-ID, To tag = our tag) gives', () => {
    expect(dialog().key).toBe(dialogKey('call-7@192.0.2.10', 'ltag'));
    expect(dialogKey('a', 'b')).not.toBe(dialogKey('a', 'c'));
  });
});
