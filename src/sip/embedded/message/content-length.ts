import { SipParseError } from './sip-parse-error.js';
import { excerpt } from './sip-syntax.js';

/** A Content-Length value: 1 to 10 decimal digits, nothing else (no sign, no spaces inside). */
export function parseContentLength(value: string): number {
  if (value.length === 0 || value.length > 10)
    throw new SipParseError(`Content-Length: invalid value ${excerpt(value)}`);
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x30 || c > 0x39) throw new SipParseError(`Content-Length: invalid value ${excerpt(value)}`);
    n = n * 10 + (c - 0x30);
  }
  return n;
}
