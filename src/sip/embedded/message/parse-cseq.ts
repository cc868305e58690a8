import { SipParseError } from './sip-parse-error.js';
import { excerpt, isTokenChar, isWsp } from './sip-syntax.js';

/** RFC 3261 §8.1.1.5: the sequence number must be less than 2^31. */
const MAX_SEQ = 2 ** 31 - 1;

/** `CSeq: 314159 INVITE` → `{ seq: 314159, method: 'INVITE' }`. Leading zeros are allowed. */
export function parseCSeq(s: string): { seq: number; method: string } {
  let i = 0;
  while (i < s.length && isWsp(s.charCodeAt(i))) i++;
  const digitsStart = i;
  let seq = 0;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) break;
    seq = seq * 10 + (c - 0x30);
    if (seq > MAX_SEQ)
      throw new SipParseError(`CSeq: sequence number out of range (max 2^31-1) in ${excerpt(s)}`);
  }
  if (i === digitsStart) throw new SipParseError(`CSeq: missing sequence number in ${excerpt(s)}`);
  const wsStart = i;
  while (i < s.length && isWsp(s.charCodeAt(i))) i++;
  if (i === wsStart) throw new SipParseError(`CSeq: expected whitespace after the number in ${excerpt(s)}`);
  const methodStart = i;
  while (i < s.length && isTokenChar(s.charCodeAt(i))) i++;
  if (i === methodStart) throw new SipParseError(`CSeq: missing method in ${excerpt(s)}`);
  const method = s.slice(methodStart, i);
  while (i < s.length && isWsp(s.charCodeAt(i))) i++;
  if (i !== s.length) throw new SipParseError(`CSeq: unexpected text after the method in ${excerpt(s)}`);
  return { seq, method };
}
