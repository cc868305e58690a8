/**
 * Character classes of the RFC 3261 §25 grammar as lookup tables, so the parsers test a character
 * with one array read instead of a regular expression (no backtracking on hostile input).
 */

function table(chars: string, alnum: boolean): Uint8Array {
  const t = new Uint8Array(128);
  if (alnum) {
    for (let c = 0x30; c <= 0x39; c++) t[c] = 1;
    for (let c = 0x41; c <= 0x5a; c++) t[c] = 1;
    for (let c = 0x61; c <= 0x7a; c++) t[c] = 1;
  }
  for (const ch of chars) t[ch.charCodeAt(0)] = 1;
  return t;
}

/** token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~") */
const TOKEN = table("-.!%*_+`'~", true);
/** Characters of a host name, IPv4 or bracketed IPv6 reference. */
const HOST = table('-.[]:', true);
/** uri-parameter and header-param values: token plus host, plus param-unreserved of §25.1. */
const PARAM_VALUE = table("-.!%*_+`'~[]:/&$()", true);
/** SIP URI user, password, and header (`?a=b`) characters: unreserved, escaped, user/hnv-unreserved. */
const URI_PART = table("-_.!~*'()%&=+$,;?/:[]", true);

export function isTokenChar(c: number): boolean {
  return c < 128 && TOKEN[c] === 1;
}

export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isTokenChar(s.charCodeAt(i))) return false;
  return true;
}

export function isHostChar(c: number): boolean {
  return c < 128 && HOST[c] === 1;
}

export function isParamValueChar(c: number): boolean {
  return c < 128 && PARAM_VALUE[c] === 1;
}

export function isUriPartChar(c: number): boolean {
  return c < 128 && URI_PART[c] === 1;
}

/** SP or HTAB: the only whitespace left inside a header value once folding is undone. */
export function isWsp(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/** A short, escaped rendering of untrusted text for error messages: no raw CR/LF reaches a log line. */
export function excerpt(s: string, max = 60): string {
  return JSON.stringify(s.length > max ? `${s.slice(0, max)}…` : s);
}

/**
 * Reads a quoted-string whose opening `"` is at `start`, undoing backslash escapes. Returns the
 * unquoted text and the index just past the closing quote, or undefined when it never closes.
 */
export function readQuotedString(s: string, start: number): { value: string; end: number } | undefined {
  let value = '';
  let from = start + 1;
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5c /* \ */) {
      if (i + 1 >= s.length) return undefined;
      value += s.slice(from, i);
      from = i + 1;
      i++;
    } else if (c === 0x22 /* " */) {
      return { value: value + s.slice(from, i), end: i + 1 };
    }
  }
  return undefined;
}

/** `"…"` with `"` and `\` escaped. */
export function quoteString(s: string): string {
  let out = '"';
  for (const ch of s) out += ch === '"' || ch === '\\' ? `\\${ch}` : ch;
  return `${out}"`;
}
