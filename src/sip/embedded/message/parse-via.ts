import { formatParams, parseParams, type SipParams } from './parse-params.js';
import { parsePort } from './parse-uri.js';
import { SipParseError } from './sip-parse-error.js';
import { excerpt, isHostChar, isTokenChar, isWsp } from './sip-syntax.js';

/**
 * One Via value (RFC 3261 §20.42): `SIP/2.0/UDP host:port;branch=z9hG4bK…`. `protocol` is
 * `name/version` (`SIP/2.0`), `transport` is upper-cased, the branch is `params.get('branch')`,
 * and an IPv6 host is held without its brackets.
 */
export interface Via {
  protocol: string;
  transport: string;
  host: string;
  port?: number;
  params: SipParams;
}

export function parseVia(s: string): Via {
  const cursor = { i: skipWsp(s, 0) };
  const name = readToken(s, cursor, 'protocol name');
  expectSlash(s, cursor);
  const version = readToken(s, cursor, 'protocol version');
  expectSlash(s, cursor);
  const transport = readToken(s, cursor, 'transport').toUpperCase();

  const afterTransport = cursor.i;
  let i = skipWsp(s, afterTransport);
  if (i === afterTransport)
    throw new SipParseError(`Via: expected whitespace before sent-by in ${excerpt(s)}`);

  let host: string;
  if (s.charCodeAt(i) === 0x5b /* [ */) {
    const close = s.indexOf(']', i);
    if (close === -1) throw new SipParseError(`Via: unterminated IPv6 reference in ${excerpt(s)}`);
    host = s.slice(i + 1, close);
    for (let j = 0; j < host.length; j++) {
      const c = host.charCodeAt(j);
      if (!isHostChar(c) || c === 0x5b || c === 0x5d)
        throw new SipParseError(`Via: invalid IPv6 host in ${excerpt(s)}`);
    }
    if (!host.includes(':')) throw new SipParseError(`Via: invalid IPv6 host in ${excerpt(s)}`);
    i = close + 1;
  } else {
    const start = i;
    while (
      i < s.length &&
      isHostChar(s.charCodeAt(i)) &&
      s.charCodeAt(i) !== 0x3a &&
      s.charCodeAt(i) !== 0x5b &&
      s.charCodeAt(i) !== 0x5d
    )
      i++;
    host = s.slice(start, i);
    if (host === '') throw new SipParseError(`Via: missing host in ${excerpt(s)}`);
  }

  let port: number | undefined;
  let j = skipWsp(s, i);
  if (s.charCodeAt(j) === 0x3a /* : */) {
    j = skipWsp(s, j + 1);
    const portStart = j;
    while (j < s.length && s.charCodeAt(j) >= 0x30 && s.charCodeAt(j) <= 0x39) j++;
    port = parsePort(s.slice(portStart, j), s);
    i = j;
  }

  const rest = s.slice(i);
  const firstNonWs = skipWsp(rest, 0);
  if (firstNonWs < rest.length && rest.charCodeAt(firstNonWs) !== 0x3b) {
    throw new SipParseError(`Via: unexpected text after sent-by in ${excerpt(s)}`);
  }
  const via: Via = {
    protocol: `${name.toUpperCase()}/${version}`,
    transport,
    host,
    params: parseParams(rest),
  };
  if (port !== undefined) via.port = port;
  return via;
}

export function formatVia(v: Via): string {
  const host = v.host.includes(':') ? `[${v.host}]` : v.host;
  return `${v.protocol}/${v.transport} ${host}${v.port !== undefined ? `:${v.port}` : ''}${formatParams(v.params)}`;
}

function readToken(s: string, cursor: { i: number }, what: string): string {
  const start = cursor.i;
  while (cursor.i < s.length && isTokenChar(s.charCodeAt(cursor.i))) cursor.i++;
  if (cursor.i === start) throw new SipParseError(`Via: missing ${what} in ${excerpt(s)}`);
  return s.slice(start, cursor.i);
}

function expectSlash(s: string, cursor: { i: number }): void {
  const i = skipWsp(s, cursor.i);
  if (s.charCodeAt(i) !== 0x2f /* / */) throw new SipParseError(`Via: expected "/" at ${i} in ${excerpt(s)}`);
  cursor.i = skipWsp(s, i + 1);
}

function skipWsp(s: string, i: number): number {
  while (i < s.length && isWsp(s.charCodeAt(i))) i++;
  return i;
}
