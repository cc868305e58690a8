import { describe, expect, it } from 'vitest';
import {
  createRequest,
  createResponse,
  parseMessage,
  serializeMessage,
  SipHeaders,
  SipSerializeError,
} from '../../../../src/sip/embedded/message/index.js';

function invite(extra: Array<[string, string]> = []): ReturnType<typeof createRequest> {
  const headers = new SipHeaders([
    ['v', 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1'],
    ['f', '<sip:a@example.com>;tag=1'],
    ['t', '<sip:b@example.com>'],
    ['i', 'call-1'],
    ['cseq', '1 INVITE'],
    ['Content-Length', '999'],
    ...extra,
  ]);
  return createRequest('INVITE', 'sip:b@example.com', headers, Buffer.from('v=0\r\n'));
}

describe('serializeMessage', () => {
  it('writes start line, canonical headers in order, Content-Length of the body, CRLF, body', () => {
    const wire = serializeMessage(invite([['Subject', 'héllo']]));
    expect(wire.toString('utf8')).toBe(
      [
        'INVITE sip:b@example.com SIP/2.0',
        'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1',
        'From: <sip:a@example.com>;tag=1',
        'To: <sip:b@example.com>',
        'Call-ID: call-1',
        'CSeq: 1 INVITE',
        'Subject: héllo',
        'Content-Length: 5',
        '',
        'v=0\r\n',
      ].join('\r\n'),
    );
  });

  it('counts the body in bytes and writes responses', () => {
    const res = createResponse(486, 'Busy Here', invite().headers, Buffer.from('ü'));
    const wire = serializeMessage(res).toString('utf8');
    expect(wire.startsWith('SIP/2.0 486 Busy Here\r\n')).toBe(true);
    expect(wire).toContain('Content-Length: 2\r\n\r\nü');
  });

  it('round-trips through parseMessage', () => {
    const wire = serializeMessage(invite([['X-Empty', '']]));
    expect(serializeMessage(parseMessage(wire)).equals(wire)).toBe(true);
  });

  it('refuses CR, LF or NUL in any header value (header injection)', () => {
    for (const bad of ['a\r\nVia: SIP/2.0/UDP evil', 'a\nb', 'a\rb', 'a\0b', '\r\n']) {
      expect(() => serializeMessage(invite([['Subject', bad]]))).toThrow(SipSerializeError);
    }
    const msg = invite();
    msg.headers.set('To', '<sip:b@example.com>\r\nX-Injected: 1');
    expect(() => serializeMessage(msg)).toThrow(/header To: value contains CR at index 19/);
  });

  it('refuses bad names, methods, URIs, reasons and status codes', () => {
    expect(() => serializeMessage(invite([['X Bad', '1']]))).toThrow(/header name/);
    expect(() => serializeMessage(invite([['X:Bad', '1']]))).toThrow(/header name/);
    const req = invite();
    req.method = 'INVITE sip:x SIP/2.0\r\n';
    expect(() => serializeMessage(req)).toThrow(/method/);
    const req2 = invite();
    req2.uri = 'sip:b@example.com SIP/2.0\r\nX: y';
    expect(() => serializeMessage(req2)).toThrow(/Request-URI/);
    expect(() => serializeMessage(createResponse(200, 'OK\r\nX: y', invite().headers))).toThrow(
      /reason phrase/,
    );
    expect(() => serializeMessage(createResponse(99, 'Low', invite().headers))).toThrow(SipSerializeError);
    expect(() => serializeMessage(createResponse(200.5, 'OK', invite().headers))).toThrow(SipSerializeError);
  });

  it('reports the error with a stable code and no raw CR/LF in the message', () => {
    try {
      serializeMessage(invite([['Subject', 'x\r\ny']]));
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(SipSerializeError);
      expect((err as SipSerializeError).code).toBe('SIP_SERIALIZE_ERROR');
      expect((err as Error).message).not.toMatch(/[\r\n]/);
    }
  });
});
