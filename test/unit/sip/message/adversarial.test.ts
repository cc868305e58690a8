import { describe, expect, it } from 'vitest';
import {
  parseMessage,
  parseNameAddr,
  parseParams,
  parseUri,
  parseVia,
  SipParseError,
  SipStreamFramer,
  splitHeaderValues,
} from '../../../../src/sip/embedded/message/index.js';

// Megabyte-sized hostile inputs. Nothing here asserts a duration: the point is that each call
// returns (linear-time scanning, no backtracking), which the vitest timeout would catch otherwise.
const MB = 1 << 20;
const BIG = { maxMessageBytes: 4 * MB };
const REQUIRED = [
  'Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1',
  'From: <sip:a@example.com>;tag=1',
  'To: <sip:b@example.com>',
  'Call-ID: big',
  'CSeq: 1 OPTIONS',
].join('\r\n');

const expectParseError = (fn: () => unknown, why?: RegExp): void => {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(SipParseError);
  if (why) expect((caught as SipParseError).reason).toMatch(why);
};

describe('1 MB adversarial inputs', () => {
  it('one giant header line parses when the limit allows it, and is refused by the default limit', () => {
    const data = Buffer.from(
      `OPTIONS sip:b@example.com SIP/2.0\r\n${REQUIRED}\r\nX-Big: ${'a'.repeat(MB)}\r\n\r\n`,
    );
    expect(parseMessage(data, BIG).headers.get('X-Big')).toHaveLength(MB);
    expectParseError(() => parseMessage(data), /exceeds the limit of 65535/);
  });

  it('a giant start line, a giant Request-URI, a giant status line', () => {
    expectParseError(() => parseMessage(Buffer.from(`${'A'.repeat(MB)}\r\n\r\n`), BIG));
    expectParseError(
      () => parseMessage(Buffer.from(`OPTIONS sip:${'a'.repeat(MB)} SIP/2.0\r\n\r\n`), BIG),
      /missing Via/,
    );
    expectParseError(
      () => parseMessage(Buffer.from(`SIP/2.0 200 ${'x'.repeat(MB)}\r\n\r\n`), BIG),
      /missing Via/,
    );
  });

  it('a quarter of a million folded continuation lines', () => {
    const data = Buffer.from(
      `OPTIONS sip:b@example.com SIP/2.0\r\n${REQUIRED}\r\nX-Folded: a${'\r\n b'.repeat(250_000)}\r\n\r\n`,
    );
    expect(parseMessage(data, BIG).headers.get('X-Folded')).toHaveLength(500_001);
  });

  it('hundreds of thousands of header lines stop at maxHeaders', () => {
    const data = Buffer.from(`OPTIONS sip:b@example.com SIP/2.0\r\n${'X: a\r\n'.repeat(200_000)}\r\n`);
    expectParseError(() => parseMessage(data, BIG), /more than 256 header fields/);
  });

  it('a megabyte of line breaks, with and without a header terminator', () => {
    expectParseError(() => parseMessage(Buffer.from('\r\n'.repeat(MB / 2)), BIG), /empty message/);
    expectParseError(() => parseMessage(Buffer.from(`X${'\r'.repeat(MB)}`), BIG), /no empty line/);
    expectParseError(() => parseMessage(Buffer.from(`X${'\r\n\r'.repeat(MB / 3)}`), BIG));
  });

  it('a million semicolons and half a million parameters', () => {
    const semis = ';'.repeat(MB);
    expectParseError(() => parseParams(semis));
    expect(parseParams(';a'.repeat(MB / 2)).size).toBe(1);
    expect(parseParams(Array.from({ length: 100_000 }, (_, i) => `;p${i}=v`).join('')).size).toBe(100_000);
    expect(parseVia(`SIP/2.0/UDP h${';a'.repeat(MB / 2)}`).params.size).toBe(1);
    expect(parseUri(`sip:h${';a'.repeat(MB / 2)}`).params.size).toBe(1);
    expect(parseNameAddr(`<sip:a@b>${';a'.repeat(MB / 2)}`).params.size).toBe(1);
    expectParseError(() => parseVia(`SIP/2.0/UDP h${semis}`));
    expectParseError(() => parseNameAddr(`sip:a@b${semis}`));
  });

  it('deeply nested and unbalanced quotes, escapes and angle brackets', () => {
    const escapes = '\\"'.repeat(MB / 2);
    expect(splitHeaderValues(`"${escapes}`)).toHaveLength(1);
    expect(splitHeaderValues('"'.repeat(MB))).toHaveLength(1);
    expect(splitHeaderValues('<'.repeat(MB))).toHaveLength(1);
    expect(splitHeaderValues(',"'.repeat(MB / 2)).length).toBeGreaterThan(0);
    expectParseError(() => parseNameAddr(`"${escapes}`), /unterminated/);
    expectParseError(() => parseNameAddr('"'.repeat(MB)));
    expectParseError(() => parseNameAddr('<'.repeat(MB)));
    expectParseError(() => parseNameAddr(`${'a '.repeat(MB / 2)}<sip:a@b`));
    expect(parseNameAddr(`"${escapes}" <sip:a@b>`).displayName).toHaveLength(MB / 2);
    expectParseError(() => parseParams(`;a="${escapes}`), /unterminated/);
    expectParseError(() => parseUri(`sip:${'['.repeat(MB)}`));
    expectParseError(() => parseUri(`sip:${'a@'.repeat(MB / 2)}`));
  });

  it('the stream framer refuses a megabyte without a header terminator, whatever the chunking', () => {
    const junk = Buffer.alloc(MB, 0x61);
    const framer = new SipStreamFramer();
    expectParseError(() => {
      for (let i = 0; i < junk.length; i += 1024) framer.push(junk.subarray(i, i + 1024));
    }, /header block/);
    const byByte = new SipStreamFramer({ maxMessageBytes: 100_000 });
    expectParseError(() => {
      for (let i = 0; i < junk.length; i++) byByte.push(junk.subarray(i, i + 1));
    }, /header block/);
  });

  it('the stream framer skips a megabyte of keep-alive CRLFs', () => {
    const framer = new SipStreamFramer();
    const pings = Buffer.from('\r\n\r\n'.repeat(MB / 4));
    for (let i = 0; i < pings.length; i += 4096) expect(framer.push(pings.subarray(i, i + 4096))).toEqual([]);
    expect(framer.buffered).toBe(0);
  });

  it('the stream framer refuses a megabyte of header lines without Content-Length', () => {
    const lines = Buffer.from(`OPTIONS sip:b SIP/2.0\r\n${'X: a\r\n'.repeat(MB / 6)}\r\n`);
    expectParseError(() => new SipStreamFramer({ maxMessageBytes: 2 * MB }).push(lines), /no Content-Length/);
    expectParseError(() => new SipStreamFramer().push(lines), /exceeds/);
  });
});
