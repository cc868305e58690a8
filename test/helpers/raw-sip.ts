import type { SipRequest } from '../../src/sip/embedded/message/index.js';

/** A minimal SDP offer/answer body for engine tests that do not look at media. */
export const TEST_SDP =
  'v=0\r\no=- 1 0 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n';

/** A response to `request` as a hand-written carrier on a raw socket sends it. */
export function reply(request: SipRequest, status: string, toTag: string, contact?: string): string {
  const h = request.headers;
  const extra = contact !== undefined ? `Contact: <${contact}>\r\n` : '';
  return `SIP/2.0 ${status}\r\nVia: ${h.get('Via')}\r\nFrom: ${h.get('From')}\r\nTo: ${h.get('To')};tag=${toTag}\r\nCall-ID: ${h.get('Call-ID')}\r\nCSeq: ${h.get('CSeq')}\r\n${extra}Content-Length: 0\r\n\r\n`;
}
