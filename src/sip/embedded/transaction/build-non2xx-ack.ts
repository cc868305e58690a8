import { parseCSeq } from '../message/parse-cseq.js';
import { createRequest, SipHeaders, type SipRequest, type SipResponse } from '../message/sip-message.js';

/**
 * The ACK an INVITE client transaction sends for a 300–699 (RFC 3261 §17.1.1.3): same branch
 * and Request-URI as the INVITE, the To of the response (with its tag), the INVITE's Route set.
 */
export function buildNon2xxAck(invite: SipRequest, response: SipResponse): SipRequest {
  const headers = new SipHeaders();
  const via = invite.headers.getAll('Via')[0];
  if (via !== undefined) headers.append('Via', via);
  headers.append('Max-Forwards', '70');
  for (const route of invite.headers.getAll('Route')) headers.append('Route', route);
  headers.append('From', invite.headers.get('From') ?? '');
  headers.append('To', response.headers.get('To') ?? invite.headers.get('To') ?? '');
  headers.append('Call-ID', invite.headers.get('Call-ID') ?? '');
  const cseq = parseCSeq(invite.headers.get('CSeq') ?? '');
  headers.append('CSeq', `${cseq.seq} ACK`);
  return createRequest('ACK', invite.uri, headers);
}
