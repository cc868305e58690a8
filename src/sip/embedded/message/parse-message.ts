import { parseContentLength } from './content-length.js';
import { canonicalHeaderName } from './header-names.js';
import { parseCSeq } from './parse-cseq.js';
import { parseVia } from './parse-via.js';
import { createRequest, createResponse, SipHeaders, type SipMessage } from './sip-message.js';
import { SipParseError } from './sip-parse-error.js';
import { excerpt, isToken, isTokenChar, isWsp } from './sip-syntax.js';
import { splitHeaderValues } from './split-header-values.js';

export interface ParseLimits {
  /** Larger datagrams are refused before any parsing (default 65535, the largest UDP payload). */
  maxMessageBytes?: number;
  /** Header fields (after unfolding) allowed in one message (default 256). */
  maxHeaders?: number;
}

const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');
const LFLF = Buffer.from('\n\n', 'latin1');

/**
 * Parses one SIP message from a datagram, or from a frame cut by SipStreamFramer (RFC 3261 §7, §18.3).
 *
 * Checks what the transport and transaction layers rely on: the start line, header syntax,
 * Content-Length, the presence of Via, From, To, Call-ID and CSeq, a CSeq that parses (and names the
 * request's method), and a top Via that parses. Other headers are kept as text for the layers that
 * need them. The body is a view into `data`, cut to Content-Length when there is one (extra octets
 * in a datagram are ignored, §18.3); without Content-Length the rest of the datagram is the body.
 *
 * Tolerated: CRLFs before the start line, bare-LF line endings, folded header lines, compact names.
 * Every scan is a single forward pass (no regular expressions), so time is linear in the input.
 */
export function parseMessage(data: Buffer, limits?: ParseLimits): SipMessage {
  const maxBytes = limits?.maxMessageBytes ?? 65535;
  const maxHeaders = limits?.maxHeaders ?? 256;
  if (data.length > maxBytes)
    throw new SipParseError(`message of ${data.length} bytes exceeds the limit of ${maxBytes}`);

  let start = 0;
  while (start < data.length && (data[start] === 0x0d || data[start] === 0x0a)) start++;
  if (start === data.length) throw new SipParseError('empty message');

  const crlf = data.indexOf(CRLFCRLF, start);
  const lf = data.indexOf(LFLF, start);
  let headEnd: number;
  let bodyStart: number;
  if (crlf !== -1 && (lf === -1 || crlf < lf)) {
    headEnd = crlf;
    bodyStart = crlf + 4;
  } else if (lf !== -1) {
    headEnd = lf;
    bodyStart = lf + 2;
  } else {
    throw new SipParseError('no empty line after the headers');
  }

  const head = data.toString('utf8', start, headEnd);
  const firstNl = head.indexOf('\n');
  const startLine = stripCr(head, 0, firstNl === -1 ? head.length : firstNl);

  const headers = new SipHeaders();
  let count = 0;
  let topVia: string | undefined;
  let cseq: string | undefined;
  let contentLength: string | undefined;
  let from = 0;
  let to = 0;
  let callId = 0;

  let name: string | undefined;
  let value = '';
  const flush = (): void => {
    const canonical = canonicalHeaderName(name as string);
    headers.append(canonical, value);
    switch (canonical) {
      case 'Via':
        topVia ??= value;
        break;
      case 'From':
        from++;
        break;
      case 'To':
        to++;
        break;
      case 'Call-ID':
        if (value === '') throw new SipParseError('Call-ID: empty');
        callId++;
        break;
      case 'CSeq':
        if (cseq !== undefined) throw new SipParseError('CSeq: more than one');
        cseq = value;
        break;
      case 'Content-Length':
        if (contentLength !== undefined && contentLength !== value) {
          throw new SipParseError(
            `Content-Length: conflicting values ${excerpt(contentLength)} and ${excerpt(value)}`,
          );
        }
        contentLength = value;
        break;
    }
  };

  let pos = firstNl === -1 ? head.length : firstNl + 1;
  while (pos < head.length) {
    let end = head.indexOf('\n', pos);
    if (end === -1) end = head.length;
    const line = stripCr(head, pos, end);
    pos = end + 1;
    if (line.indexOf('\r') !== -1) throw new SipParseError(`header line with a bare CR: ${excerpt(line)}`);
    const c0 = line.charCodeAt(0);
    if (c0 === 0x20 || c0 === 0x09) {
      if (name === undefined)
        throw new SipParseError(`continuation line before any header: ${excerpt(line)}`);
      const more = trimWsp(line);
      value = value === '' ? more : more === '' ? value : `${value} ${more}`;
      continue;
    }
    if (name !== undefined) flush();
    const colon = line.indexOf(':');
    if (colon === -1) throw new SipParseError(`header line without ":": ${excerpt(line)}`);
    let nameEnd = colon;
    while (nameEnd > 0 && isWsp(line.charCodeAt(nameEnd - 1))) nameEnd--;
    if (nameEnd === 0) throw new SipParseError(`header line without a name: ${excerpt(line)}`);
    for (let i = 0; i < nameEnd; i++) {
      if (!isTokenChar(line.charCodeAt(i)))
        throw new SipParseError(`invalid header name ${excerpt(line.slice(0, nameEnd))}`);
    }
    if (++count > maxHeaders) throw new SipParseError(`more than ${maxHeaders} header fields`);
    name = line.slice(0, nameEnd);
    value = trimWsp(line.slice(colon + 1));
  }
  if (name !== undefined) flush();

  if (topVia === undefined) throw new SipParseError('missing Via');
  if (from === 0) throw new SipParseError('missing From');
  if (to === 0) throw new SipParseError('missing To');
  if (callId === 0) throw new SipParseError('missing Call-ID');
  if (cseq === undefined) throw new SipParseError('missing CSeq');
  if (from > 1 || to > 1 || callId > 1) throw new SipParseError('From, To and Call-ID must each appear once');
  const parsedCSeq = parseCSeq(cseq);
  const firstVia = splitHeaderValues(topVia)[0];
  if (firstVia === undefined) throw new SipParseError('Via: empty');
  try {
    parseVia(firstVia);
  } catch (err) {
    if (!(err instanceof SipParseError)) throw err;
    throw new SipParseError(`top Via ${excerpt(firstVia)}: ${err.reason}`, { cause: err });
  }

  const available = data.length - bodyStart;
  let body: Buffer;
  if (contentLength === undefined) {
    body = data.subarray(bodyStart);
  } else {
    const length = parseContentLength(contentLength);
    if (length > available) {
      throw new SipParseError(`Content-Length ${length} is more than the ${available} body bytes received`);
    }
    body = data.subarray(bodyStart, bodyStart + length);
  }

  if (startLine.startsWith('SIP/') || startLine.startsWith('sip/')) {
    const { status, reason } = parseStatusLine(startLine);
    return createResponse(status, reason, headers, body);
  }
  const { method, uri } = parseRequestLine(startLine);
  if (parsedCSeq.method !== method) {
    throw new SipParseError(
      `CSeq method ${excerpt(parsedCSeq.method)} does not match request method ${excerpt(method)}`,
    );
  }
  return createRequest(method, uri, headers, body);
}

/** Request-Line = Method SP Request-URI SP SIP-Version: exactly one SP between the three (§25.1). */
function parseRequestLine(line: string): { method: string; uri: string } {
  const sp1 = line.indexOf(' ');
  const sp2 = sp1 === -1 ? -1 : line.indexOf(' ', sp1 + 1);
  if (sp2 === -1) throw new SipParseError(`request line is not "METHOD URI SIP/2.0": ${excerpt(line)}`);
  const method = line.slice(0, sp1);
  const uri = line.slice(sp1 + 1, sp2);
  const version = line.slice(sp2 + 1);
  if (uri === '' || version.includes(' ')) {
    throw new SipParseError(`request line: elements must be separated by exactly one SP: ${excerpt(line)}`);
  }
  if (!isToken(method)) throw new SipParseError(`request line: invalid method ${excerpt(method)}`);
  if (version.toUpperCase() !== 'SIP/2.0') {
    throw new SipParseError(`request line: expected "SIP/2.0" after the URI, got ${excerpt(version)}`);
  }
  checkRequestUri(uri);
  return { method, uri };
}

/** Status-Line = SIP-Version SP Status-Code SP Reason-Phrase; an empty reason is allowed. */
function parseStatusLine(line: string): { status: number; reason: string } {
  if (line.length < 11 || line.slice(0, 8).toUpperCase() !== 'SIP/2.0 ') {
    throw new SipParseError(`status line is not "SIP/2.0 CODE REASON": ${excerpt(line)}`);
  }
  let status = 0;
  for (let i = 8; i < 11; i++) {
    const c = line.charCodeAt(i);
    if (c < 0x30 || c > 0x39) throw new SipParseError(`status line: invalid status code in ${excerpt(line)}`);
    status = status * 10 + (c - 0x30);
  }
  if (line.length > 11 && line.charCodeAt(11) !== 0x20) {
    throw new SipParseError(`status line: invalid status code in ${excerpt(line)}`);
  }
  if (status < 100 || status > 699)
    throw new SipParseError(`status line: status code ${status} out of range 100..699`);
  const reason = line.slice(12);
  for (let i = 0; i < reason.length; i++) {
    const c = reason.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) {
      throw new SipParseError(`status line: control character in reason phrase ${excerpt(reason)}`);
    }
  }
  return { status, reason };
}

/** Any absolute URI (sip:, sips:, tel:, …): a scheme, then no whitespace, controls, `<`, `>` or `"`. */
function checkRequestUri(uri: string): void {
  const colon = uri.indexOf(':');
  let ok = colon > 0;
  for (let i = 0; ok && i < uri.length; i++) {
    const c = uri.charCodeAt(i);
    if (i < colon) {
      const alpha = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
      ok = alpha || (i > 0 && ((c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e));
    } else {
      ok = c > 0x20 && c < 0x7f && c !== 0x3c && c !== 0x3e && c !== 0x22;
    }
  }
  if (!ok) throw new SipParseError(`request line: invalid Request-URI ${excerpt(uri)}`);
}

function stripCr(s: string, from: number, to: number): string {
  return to > from && s.charCodeAt(to - 1) === 0x0d ? s.slice(from, to - 1) : s.slice(from, to);
}

/** Trims SP and HTAB only: other characters (a BOM, NBSP) are part of the value. */
function trimWsp(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isWsp(s.charCodeAt(a))) a++;
  while (b > a && isWsp(s.charCodeAt(b - 1))) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}
