import { parseContentLength } from './content-length.js';
import { canonicalHeaderName } from './header-names.js';
import { parseCSeq } from './parse-cseq.js';
import { createRequest, createResponse, SipHeaders, type SipMessage } from './sip-message.js';
import { SipParseError } from './sip-parse-error.js';
import { excerpt, isToken, isTokenChar, isWsp } from './sip-syntax.js';

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
 * Checks framing and what every layer relies on: the start line, header syntax, Content-Length,
 * the presence of Via, From, To, Call-ID and CSeq (each of the last four once), and a CSeq that
 * parses and names the request's method. Other header values are kept as text: the layer that
 * needs one parses it (parseVia, parseNameAddr, …) and rejects the message if it does not parse, so
 * no value is parsed twice on the hot path. The body is a view into `data`, cut to Content-Length when there is one (extra octets
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

  // Look for the terminator matching the start line's ending first: one scan in the usual case.
  const firstLf = data.indexOf(0x0a, start);
  const crlfFirst = firstLf > start && data[firstLf - 1] === 0x0d;
  let headEnd = data.indexOf(crlfFirst ? CRLFCRLF : LFLF, start);
  let bodyStart = headEnd + (crlfFirst ? 4 : 2);
  if (headEnd === -1) {
    headEnd = data.indexOf(crlfFirst ? LFLF : CRLFCRLF, start);
    bodyStart = headEnd + (crlfFirst ? 2 : 4);
  }
  if (headEnd === -1) throw new SipParseError('no empty line after the headers');

  const head = data.toString('utf8', start, headEnd);
  const len = head.length;
  const firstNl = head.indexOf('\n');
  const startLine =
    firstNl === -1
      ? head
      : head.slice(0, firstNl > 0 && head.charCodeAt(firstNl - 1) === 0x0d ? firstNl - 1 : firstNl);

  const state: HeaderState = {
    headers: new SipHeaders(),
    topVia: undefined,
    cseq: undefined,
    contentLength: undefined,
    from: 0,
    to: 0,
    callId: 0,
  };
  let count = 0;
  let name: string | undefined;
  let value = '';
  let pos = firstNl === -1 ? len : firstNl + 1;
  let nextCr = head.indexOf('\r', pos);
  while (pos < len) {
    let nl = head.indexOf('\n', pos);
    if (nl === -1) nl = len;
    let end = nl;
    if (end > pos && head.charCodeAt(end - 1) === 0x0d) end--;
    if (nextCr !== -1 && nextCr < pos) nextCr = head.indexOf('\r', pos);
    if (nextCr !== -1 && nextCr < end)
      throw new SipParseError(`header line with a bare CR: ${excerpt(head.slice(pos, end))}`);
    const c0 = head.charCodeAt(pos);
    if (c0 === 0x20 || c0 === 0x09) {
      if (name === undefined)
        throw new SipParseError(`continuation line before any header: ${excerpt(head.slice(pos, end))}`);
      const more = trimmed(head, pos, end);
      value = value === '' ? more : more === '' ? value : `${value} ${more}`;
    } else {
      if (name !== undefined) addHeader(state, name, value);
      const colon = head.indexOf(':', pos);
      if (colon === -1 || colon >= end)
        throw new SipParseError(`header line without ":": ${excerpt(head.slice(pos, end))}`);
      let nameEnd = colon;
      while (nameEnd > pos && isWsp(head.charCodeAt(nameEnd - 1))) nameEnd--;
      if (nameEnd === pos)
        throw new SipParseError(`header line without a name: ${excerpt(head.slice(pos, end))}`);
      for (let i = pos; i < nameEnd; i++) {
        if (!isTokenChar(head.charCodeAt(i)))
          throw new SipParseError(`invalid header name ${excerpt(head.slice(pos, nameEnd))}`);
      }
      if (++count > maxHeaders) throw new SipParseError(`more than ${maxHeaders} header fields`);
      name = head.slice(pos, nameEnd);
      value = trimmed(head, colon + 1, end);
    }
    pos = nl + 1;
  }
  if (name !== undefined) addHeader(state, name, value);
  const { headers, topVia, cseq, contentLength, from, to, callId } = state;

  if (topVia === undefined) throw new SipParseError('missing Via');
  if (from === 0) throw new SipParseError('missing From');
  if (to === 0) throw new SipParseError('missing To');
  if (callId === 0) throw new SipParseError('missing Call-ID');
  if (cseq === undefined) throw new SipParseError('missing CSeq');
  if (from > 1 || to > 1 || callId > 1) throw new SipParseError('From, To and Call-ID must each appear once');
  const parsedCSeq = parseCSeq(cseq);
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

interface HeaderState {
  readonly headers: SipHeaders;
  topVia: string | undefined;
  cseq: string | undefined;
  contentLength: string | undefined;
  from: number;
  to: number;
  callId: number;
}

/** Records one complete (unfolded) header and what the checks after the loop need to know about it. */
function addHeader(state: HeaderState, name: string, value: string): void {
  const canonical = canonicalHeaderName(name);
  state.headers.append(canonical, value);
  switch (canonical) {
    case 'Via':
      state.topVia ??= value;
      break;
    case 'From':
      state.from++;
      break;
    case 'To':
      state.to++;
      break;
    case 'Call-ID':
      if (value === '') throw new SipParseError('Call-ID: empty');
      state.callId++;
      break;
    case 'CSeq':
      if (state.cseq !== undefined) throw new SipParseError('CSeq: more than one');
      state.cseq = value;
      break;
    case 'Content-Length':
      if (state.contentLength !== undefined && state.contentLength !== value) {
        throw new SipParseError(
          `Content-Length: conflicting values ${excerpt(state.contentLength)} and ${excerpt(value)}`,
        );
      }
      state.contentLength = value;
      break;
  }
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

/** head[from, to) without leading/trailing SP and HTAB; other characters (a BOM, NBSP) are part of the value. */
function trimmed(head: string, from: number, to: number): string {
  while (from < to && isWsp(head.charCodeAt(from))) from++;
  while (to > from && isWsp(head.charCodeAt(to - 1))) to--;
  return head.slice(from, to);
}
