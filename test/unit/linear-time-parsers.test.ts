import { describe, expect, it } from 'vitest';
import { tryParseByteSize } from '../../src/config/parse-byte-size.js';
import { tryParseDuration } from '../../src/config/parse-duration.js';
import { splitCsvLine } from '../../src/jobs/split-csv-line.js';
import { normalizeNumber } from '../../src/numbers/normalize-number.js';
import { parseDigestChallenge } from '../../src/sip/embedded/auth/digest-challenge.js';
import { parseNameAddr, parseUri, parseVia } from '../../src/sip/embedded/message/index.js';
import { parseRetryAfter } from '../../src/sip/retry-after.js';

const MB = 1 << 20;
const big = (unit: string): string => unit.repeat(Math.ceil(MB / unit.length)).slice(0, MB);

/** Runs a parser; a refusal is fine, only finishing matters (the test timeout is the bound). */
function finishes(parse: () => unknown): true {
  try {
    parse();
  } catch {
    // Refused: that is an answer too.
  }
  return true;
}

// Inputs shaped to make backtracking regular expressions explode: long runs of what a pattern
// repeats, then one character that makes the match fail at the very end.
const CASES: ReadonlyArray<[string, string, (s: string) => unknown]> = [
  ['URI: a megabyte of user characters then a bad one', `sip:${big('a')}\u0000@x`, parseUri],
  ['URI: a megabyte of ;params without values', `sip:a@b${big(';p')}=`, parseUri],
  ['URI: a megabyte of % escapes, the last broken', `sip:${big('%41')}%4@h`, parseUri],
  ['name-addr: a megabyte of quoted backslashes, unterminated', `"${big('\\\\')}`, parseNameAddr],
  ['name-addr: a megabyte of spaces before <', `${big(' ')}<sip:a@b`, parseNameAddr],
  ['name-addr: a megabyte of display tokens', `${big('a ')}<sip:a@b>;${big('x;')}`, parseNameAddr],
  ['Via: a megabyte of ;branch params', `SIP/2.0/UDP h${big(';branch=z')}`, parseVia],
  ['Via: a megabyte of whitespace and slashes', `SIP${big(' / ')}UDP h`, parseVia],
  ['digest challenge: a megabyte of commas', `Digest realm="a"${big(', ')}nonce=`, parseDigestChallenge],
  ['digest challenge: an unterminated megabyte quote', `Digest realm="${big('\\"')}`, parseDigestChallenge],
  ['digest challenge: a megabyte of name=value', `Digest ${big('a=b,')}`, parseDigestChallenge],
  [
    'number: a megabyte of digits and separators',
    big('9-'),
    (s) => normalizeNumber(s, { defaultCountry: 'BR' }),
  ],
  [
    'number: a megabyte of spaces then a letter',
    `${big(' ')}x`,
    (s) => normalizeNumber(s, { defaultCountry: 'BR' }),
  ],
  ['CSV: a megabyte of doubled quotes, unterminated', `"${big('""')}`, (s) => splitCsvLine(s)],
  ['CSV: a megabyte of delimiters and quotes', big(',"",'), (s) => splitCsvLine(s)],
  ['duration: a megabyte of digits then a bad unit', `${big('1')}xs`, tryParseDuration],
  ['duration: a megabyte of spaces', `1${big(' ')}s`, tryParseDuration],
  ['byte size: a megabyte of digits and dots', `${big('1.')}MB`, tryParseByteSize],
  ['Retry-After: a megabyte of digits and comment', `1 (${big('(')}`, parseRetryAfter],
];

describe('every parser finishes on a megabyte of adversarial input (linear time, no catastrophic backtracking)', () => {
  it.each(CASES)('%s', { timeout: 10_000 }, (_name, input, parse) => {
    expect(input.length).toBeGreaterThanOrEqual(MB);
    expect(finishes(() => parse(input))).toBe(true);
  });
});
