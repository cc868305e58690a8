import { SipParseError } from './sip-parse-error.js';
import {
  excerpt,
  isParamValueChar,
  isTokenChar,
  isWsp,
  quoteString,
  readQuotedString,
} from './sip-syntax.js';

export type SipParams = Map<string, string | null>;

/**
 * Parses `;a=b;c;d="x;y"` (RFC 3261 §25.1 generic-param / uri-parameter). Names are lower-cased,
 * quoted values unquoted, a name without `=` maps to null, and the first of repeated names wins.
 * `kind: 'uri'` is for the parameters inside a URI: no whitespace and no quoted values.
 */
export function parseParams(s: string, kind: 'header' | 'uri' = 'header'): SipParams {
  const params: SipParams = new Map();
  const uri = kind === 'uri';
  const n = s.length;
  let i = skipWsp(s, 0, uri);
  let first = true;
  while (i < n) {
    if (s.charCodeAt(i) === 0x3b /* ; */) i = skipWsp(s, i + 1, uri);
    else if (!first) throw new SipParseError(`parameters: expected ";" at ${i} in ${excerpt(s)}`);
    first = false;

    const nameStart = i;
    while (i < n && (isTokenChar(s.charCodeAt(i)) || (uri && isParamValueChar(s.charCodeAt(i))))) i++;
    if (i === nameStart) throw new SipParseError(`parameters: empty parameter name at ${i} in ${excerpt(s)}`);
    const name = s.slice(nameStart, i).toLowerCase();
    i = skipWsp(s, i, uri);

    let value: string | null = null;
    if (i < n && s.charCodeAt(i) === 0x3d /* = */) {
      i = skipWsp(s, i + 1, uri);
      if (!uri && i < n && s.charCodeAt(i) === 0x22 /* " */) {
        const quoted = readQuotedString(s, i);
        if (!quoted)
          throw new SipParseError(`parameters: unterminated quoted value of ${name} in ${excerpt(s)}`);
        value = quoted.value;
        i = quoted.end;
      } else {
        const valueStart = i;
        while (i < n && isParamValueChar(s.charCodeAt(i))) i++;
        if (i === valueStart)
          throw new SipParseError(`parameters: ${name} has "=" but no value in ${excerpt(s)}`);
        value = s.slice(valueStart, i);
      }
      i = skipWsp(s, i, uri);
    }
    if (!params.has(name)) params.set(name, value);
    if (i < n && s.charCodeAt(i) !== 0x3b) {
      throw new SipParseError(`parameters: unexpected ${excerpt(s[i] ?? '')} at ${i} in ${excerpt(s)}`);
    }
  }
  return params;
}

/** `;name` / `;name=value`, quoting values that are not plain token/host characters. */
export function formatParams(params: ReadonlyMap<string, string | null>): string {
  let out = '';
  for (const [name, value] of params) {
    out += `;${name}`;
    if (value !== null) out += `=${needsQuotes(value) ? quoteString(value) : value}`;
  }
  return out;
}

function needsQuotes(value: string): boolean {
  if (value.length === 0) return true;
  for (let i = 0; i < value.length; i++) if (!isParamValueChar(value.charCodeAt(i))) return true;
  return false;
}

function skipWsp(s: string, i: number, never: boolean): number {
  if (never) return i;
  while (i < s.length && isWsp(s.charCodeAt(i))) i++;
  return i;
}
