import { formatParams, parseParams, type SipParams } from './parse-params.js';
import { SipParseError } from './sip-parse-error.js';
import { excerpt, isHostChar, isUriPartChar } from './sip-syntax.js';

/**
 * A sip:, sips: or tel: URI. `user`, `password`, parameter values and header values are kept as on
 * the wire (`%`-escapes not undone) so that formatUri gives back what was parsed and an escaped NUL
 * never becomes a real one. For tel: URIs the number is in `user` and `host` is empty. An IPv6 host
 * is held without its brackets.
 */
export interface SipUri {
  scheme: 'sip' | 'sips' | 'tel';
  user?: string;
  password?: string;
  host: string;
  port?: number;
  params: SipParams;
  headers: Map<string, string>;
}

export function parseUri(s: string): SipUri {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) throw new SipParseError(`URI: invalid character at ${i} in ${excerpt(s)}`);
  }
  const colon = s.indexOf(':');
  const scheme = colon === -1 ? '' : s.slice(0, colon).toLowerCase();
  if (scheme === 'sip' || scheme === 'sips') return parseSipUri(s, scheme, colon + 1);
  if (scheme === 'tel') return parseTelUri(s, colon + 1);
  throw new SipParseError(`URI: unsupported scheme in ${excerpt(s)} (sip, sips or tel)`);
}

function parseSipUri(s: string, scheme: 'sip' | 'sips', start: number): SipUri {
  // '@' is allowed only in the userinfo (not in parameters or headers), so the last one ends it.
  const at = s.lastIndexOf('@');
  let user: string | undefined;
  let password: string | undefined;
  let hostStart = start;
  if (at >= start) {
    const userinfo = s.slice(start, at);
    checkPart(userinfo, 'user', s);
    const pw = userinfo.indexOf(':');
    user = pw === -1 ? userinfo : userinfo.slice(0, pw);
    if (pw !== -1) password = userinfo.slice(pw + 1);
    if (user === '') throw new SipParseError(`URI: empty user part in ${excerpt(s)}`);
    hostStart = at + 1;
  }

  let i = hostStart;
  let host: string;
  if (s.charCodeAt(i) === 0x5b /* [ */) {
    const close = s.indexOf(']', i);
    if (close === -1) throw new SipParseError(`URI: unterminated IPv6 reference in ${excerpt(s)}`);
    host = s.slice(i + 1, close);
    checkIpv6(host, s);
    i = close + 1;
  } else {
    while (i < s.length && isHostChar(s.charCodeAt(i)) && s.charCodeAt(i) !== 0x3a) i++;
    host = s.slice(hostStart, i);
    if (host === '' || host.includes('[') || host.includes(']')) {
      throw new SipParseError(`URI: missing or invalid host in ${excerpt(s)}`);
    }
  }

  let port: number | undefined;
  if (s.charCodeAt(i) === 0x3a /* : */) {
    const portStart = ++i;
    while (i < s.length && s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x39) i++;
    port = parsePort(s.slice(portStart, i), s);
  }

  let params: SipParams = new Map();
  const headers = new Map<string, string>();
  const q = s.indexOf('?', i);
  const paramsEnd = q === -1 ? s.length : q;
  if (i < paramsEnd) {
    if (s.charCodeAt(i) !== 0x3b /* ; */)
      throw new SipParseError(`URI: unexpected ${excerpt(s[i] ?? '')} after host in ${excerpt(s)}`);
    params = parseParams(s.slice(i, paramsEnd), 'uri');
  }
  if (q !== -1) {
    const part = s.slice(q + 1);
    checkPart(part, 'headers', s);
    for (const pair of part.split('&')) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new SipParseError(`URI: malformed header ${excerpt(pair)} in ${excerpt(s)}`);
      const name = pair.slice(0, eq);
      if (!headers.has(name)) headers.set(name, pair.slice(eq + 1));
    }
  }

  const uri: SipUri = { scheme, host, params, headers };
  if (user !== undefined) uri.user = user;
  if (password !== undefined) uri.password = password;
  if (port !== undefined) uri.port = port;
  return uri;
}

function parseTelUri(s: string, start: number): SipUri {
  const semi = s.indexOf(';', start);
  const number = s.slice(start, semi === -1 ? s.length : semi);
  if (number === '' || number === '+')
    throw new SipParseError(`URI: empty telephone number in ${excerpt(s)}`);
  for (let i = 0; i < number.length; i++) {
    const c = number.charCodeAt(i);
    const ok =
      (c >= 0x30 && c <= 0x39) ||
      (c >= 0x41 && c <= 0x46) ||
      (c >= 0x61 && c <= 0x66) ||
      c === 0x2a /* * */ ||
      c === 0x23 /* # */ ||
      c === 0x2d /* - */ ||
      c === 0x2e /* . */ ||
      c === 0x28 /* ( */ ||
      c === 0x29 /* ) */ ||
      (c === 0x2b /* + */ && i === 0);
    if (!ok) throw new SipParseError(`URI: invalid character in telephone number ${excerpt(number)}`);
  }
  const params = semi === -1 ? new Map<string, string | null>() : parseParams(s.slice(semi), 'uri');
  return { scheme: 'tel', user: number, host: '', params, headers: new Map() };
}

export function formatUri(u: SipUri): string {
  let out = `${u.scheme}:`;
  if (u.scheme === 'tel') return out + (u.user ?? '') + formatParams(u.params);
  if (u.user !== undefined) out += `${u.user}${u.password !== undefined ? `:${u.password}` : ''}@`;
  out += u.host.includes(':') ? `[${u.host}]` : u.host;
  if (u.port !== undefined) out += `:${u.port}`;
  out += formatParams(u.params);
  let sep = '?';
  for (const [name, value] of u.headers) {
    out += `${sep}${name}=${value}`;
    sep = '&';
  }
  return out;
}

function checkPart(part: string, what: string, s: string): void {
  for (let i = 0; i < part.length; i++) {
    if (!isUriPartChar(part.charCodeAt(i))) {
      throw new SipParseError(`URI: invalid character ${excerpt(part[i] ?? '')} in ${what} of ${excerpt(s)}`);
    }
  }
}

function checkIpv6(host: string, s: string): void {
  let colons = 0;
  for (let i = 0; i < host.length; i++) {
    const c = host.charCodeAt(i);
    if (c === 0x3a) colons++;
    else if (!(
      (c >= 0x30 && c <= 0x39) ||
      (c >= 0x41 && c <= 0x46) ||
      (c >= 0x61 && c <= 0x66) ||
      c === 0x2e
    )) {
      throw new SipParseError(`URI: invalid IPv6 reference in ${excerpt(s)}`);
    }
  }
  if (colons < 2) throw new SipParseError(`URI: invalid IPv6 reference in ${excerpt(s)}`);
}

/** Port digits to a number in 0..65535; shared by the Via parser. */
export function parsePort(digits: string, context: string): number {
  if (digits.length === 0 || digits.length > 5)
    throw new SipParseError(`port: invalid ${excerpt(digits)} in ${excerpt(context)}`);
  let port = 0;
  for (let i = 0; i < digits.length; i++) {
    const c = digits.charCodeAt(i);
    if (c < 0x30 || c > 0x39)
      throw new SipParseError(`port: invalid ${excerpt(digits)} in ${excerpt(context)}`);
    port = port * 10 + (c - 0x30);
  }
  if (port > 65535) throw new SipParseError(`port: ${port} out of range in ${excerpt(context)}`);
  return port;
}
