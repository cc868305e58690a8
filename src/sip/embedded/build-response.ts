import { createResponse, SipHeaders, type SipRequest, type SipResponse } from './message/sip-message.js';

/** A response to a request we received (RFC 3261 §8.2.6): Vias, From, To, Call-ID and CSeq copied. */
export function buildResponse(
  request: SipRequest,
  status: number,
  reason: string,
  options: {
    toTag?: string;
    headers?: ReadonlyArray<readonly [string, string]>;
    body?: { contentType: string; data: Buffer };
  } = {},
): SipResponse {
  const headers = new SipHeaders();
  for (const via of request.headers.getAll('Via')) headers.append('Via', via);
  headers.append('From', request.headers.get('From') ?? '');
  let to = request.headers.get('To') ?? '';
  if (options.toTag !== undefined && !/;\s*tag=/i.test(to)) to = `${to};tag=${options.toTag}`;
  headers.append('To', to);
  headers.append('Call-ID', request.headers.get('Call-ID') ?? '');
  headers.append('CSeq', request.headers.get('CSeq') ?? '');
  for (const [name, value] of options.headers ?? []) headers.append(name, value);
  if (options.body) headers.append('Content-Type', options.body.contentType);
  return createResponse(status, reason, headers, options.body?.data ?? Buffer.alloc(0));
}
