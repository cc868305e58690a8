import { formatParams, parseParams, type SipParams } from './parse-params.js';
import { SipParseError } from './sip-parse-error.js';
import { excerpt, isTokenChar, isWsp, quoteString, readQuotedString } from './sip-syntax.js';

/**
 * A From, To, Contact, Route or Record-Route value (RFC 3261 §20.10, §25.1). `uri` is the URI as
 * written (parse it with parseUri when its parts are needed); `params` are the header parameters
 * (`tag`, `expires`, `q`, …), never the URI's own.
 */
export interface NameAddr {
  displayName?: string;
  uri: string;
  params: SipParams;
}

export function parseNameAddr(s: string): NameAddr {
  let i = skipWsp(s, 0);
  let displayName: string | undefined;

  if (s.charCodeAt(i) === 0x22 /* " */) {
    const quoted = readQuotedString(s, i);
    if (!quoted) throw new SipParseError(`name-addr: unterminated quoted display name in ${excerpt(s)}`);
    displayName = quoted.value;
    i = skipWsp(s, quoted.end);
    if (s.charCodeAt(i) !== 0x3c /* < */)
      throw new SipParseError(`name-addr: expected "<" after display name in ${excerpt(s)}`);
  } else {
    const lt = s.indexOf('<', i);
    if (lt === -1) return parseAddrSpec(s, i);
    // display-name = *(token LWS): tokens separated by whitespace, nothing else.
    for (let j = i; j < lt; j++) {
      const c = s.charCodeAt(j);
      if (!isTokenChar(c) && !isWsp(c)) {
        throw new SipParseError(
          `name-addr: invalid character ${excerpt(s[j] ?? '')} in display name of ${excerpt(s)}`,
        );
      }
    }
    const name = s.slice(i, lt).trim();
    if (name !== '') displayName = name;
    i = lt;
  }

  const gt = s.indexOf('>', i);
  if (gt === -1) throw new SipParseError(`name-addr: missing ">" in ${excerpt(s)}`);
  const uri = s.slice(i + 1, gt);
  checkUri(uri, s);
  const rest = s.slice(gt + 1);
  const next = skipWsp(rest, 0);
  if (next < rest.length && rest.charCodeAt(next) !== 0x3b /* ; */) {
    throw new SipParseError(`name-addr: unexpected text after ">" in ${excerpt(s)}`);
  }
  const params = parseParams(rest);
  const out: NameAddr = { uri, params };
  if (displayName !== undefined) out.displayName = displayName;
  return out;
}

/** The bare form `sip:a@b;tag=x`: everything after the first `;` is a header parameter (§20.10). */
function parseAddrSpec(s: string, start: number): NameAddr {
  const semi = s.indexOf(';', start);
  const uri = s.slice(start, semi === -1 ? s.length : semi).trimEnd();
  checkUri(uri, s);
  if (uri.includes('?') || uri.includes(',')) {
    throw new SipParseError(`name-addr: a URI with "?" or "," must be enclosed in <> in ${excerpt(s)}`);
  }
  return { uri, params: semi === -1 ? new Map() : parseParams(s.slice(semi)) };
}

/** absoluteURI shape: scheme ":" then no whitespace, quotes or angle brackets. */
function checkUri(uri: string, s: string): void {
  const colon = uri.indexOf(':');
  if (colon < 1) throw new SipParseError(`name-addr: ${excerpt(uri)} is not a URI in ${excerpt(s)}`);
  for (let i = 0; i < uri.length; i++) {
    const c = uri.charCodeAt(i);
    const schemeChar =
      (c >= 0x41 && c <= 0x5a) ||
      (c >= 0x61 && c <= 0x7a) ||
      (i > 0 && ((c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e));
    if (i < colon ? !schemeChar : c <= 0x20 || c === 0x7f || c === 0x22 || c === 0x3c || c === 0x3e) {
      throw new SipParseError(`name-addr: invalid character at ${i} of URI ${excerpt(uri)}`);
    }
  }
}

/** Always the `<>` form; the display name, if any, is quoted with `"` and `\` escaped. */
export function formatNameAddr(n: NameAddr): string {
  const name = n.displayName !== undefined && n.displayName !== '' ? `${quoteString(n.displayName)} ` : '';
  return `${name}<${n.uri}>${formatParams(n.params)}`;
}

function skipWsp(s: string, i: number): number {
  while (i < s.length && isWsp(s.charCodeAt(i))) i++;
  return i;
}
