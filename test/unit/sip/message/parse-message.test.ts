import { describe, expect, it } from 'vitest';
import {
  parseMessage,
  parseNameAddr,
  parseVia,
  SipParseError,
  type SipMessage,
} from '../../../../src/sip/embedded/message/index.js';

const INVITE = [
  'INVITE sip:bob@biloxi.example.com SIP/2.0',
  'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds',
  'Max-Forwards: 70',
  'To: Bob <sip:bob@biloxi.example.com>',
  'From: Alice <sip:alice@atlanta.example.com>;tag=1928301774',
  'Call-ID: a84b4c76e66710@pc33.atlanta.example.com',
  'CSeq: 314159 INVITE',
  'Contact: <sip:alice@pc33.atlanta.example.com>',
  'Content-Type: application/sdp',
  'Content-Length: 4',
  '',
  'v=0\n',
].join('\r\n');

const OK = [
  'SIP/2.0 200 OK',
  'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds',
  'To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf',
  'From: Alice <sip:alice@atlanta.example.com>;tag=1928301774',
  'Call-ID: a84b4c76e66710@pc33.atlanta.example.com',
  'CSeq: 314159 INVITE',
  'Content-Length: 0',
  '',
  '',
].join('\r\n');

const parse = (s: string, limits?: Parameters<typeof parseMessage>[1]): SipMessage =>
  parseMessage(Buffer.from(s), limits);

function reason(s: string | Buffer, limits?: Parameters<typeof parseMessage>[1]): string {
  try {
    parseMessage(typeof s === 'string' ? Buffer.from(s) : s, limits);
  } catch (err) {
    if (err instanceof SipParseError) return err.reason;
    throw err;
  }
  throw new Error('parsed');
}

describe('parseMessage', () => {
  it('parses a request: start line, headers in order, body cut to Content-Length', () => {
    const m = parse(`${INVITE}trailing junk`);
    expect(m.type).toBe('request');
    if (m.type !== 'request') return;
    expect(m.method).toBe('INVITE');
    expect(m.uri).toBe('sip:bob@biloxi.example.com');
    expect([...m.headers.entries()].map(([n]) => n)).toEqual([
      'Via',
      'Max-Forwards',
      'To',
      'From',
      'Call-ID',
      'CSeq',
      'Contact',
      'Content-Type',
      'Content-Length',
    ]);
    expect(m.body.toString()).toBe('v=0\n');
  });

  it('parses a response', () => {
    const m = parse(OK);
    expect(m).toMatchObject({ type: 'response', status: 200, reason: 'OK' });
    expect(m.body.length).toBe(0);
  });

  it('keeps reason phrases with spaces and accepts a missing reason', () => {
    expect(parse(OK.replace('200 OK', '486 Busy Here'))).toMatchObject({ status: 486, reason: 'Busy Here' });
    expect(parse(OK.replace('200 OK', '180'))).toMatchObject({ status: 180, reason: '' });
  });

  it('tolerates leading CRLFs and bare-LF line endings', () => {
    const lf = INVITE.replace(/\r\n/g, '\n');
    const m = parse(`\r\n\r\n\n${lf}`);
    expect(m.headers.get('Call-ID')).toBe('a84b4c76e66710@pc33.atlanta.example.com');
    expect(m.body.toString()).toBe('v=0\n');
  });

  it('unfolds continuation lines into one SP and expands compact names', () => {
    const folded = OK.replace('Call-ID: a84b', 'i:\r\n  a84b').replace(
      'CSeq: 314159 INVITE',
      'CSeq: 314159\r\n\t INVITE',
    );
    const m = parse(folded);
    expect(m.headers.get('Call-ID')).toBe('a84b4c76e66710@pc33.atlanta.example.com');
    expect(m.headers.get('CSeq')).toBe('314159 INVITE');
  });

  it('takes the rest of the datagram as body when there is no Content-Length', () => {
    const m = parse(INVITE.replace('Content-Length: 4\r\n', '') + 'more');
    expect(m.body.toString()).toBe('v=0\nmore');
  });

  it('rejects malformed start lines', () => {
    expect(reason(OK.replace('SIP/2.0 200', 'SIP/3.0 200'))).toMatch(/status line/);
    expect(reason(OK.replace('200 OK', '099 Low'))).toMatch(/out of range/);
    expect(reason(OK.replace('200 OK', '700 High'))).toMatch(/out of range/);
    expect(reason(OK.replace('200 OK', '2000 OK'))).toMatch(/status code/);
    expect(reason(OK.replace('200 OK', '20x OK'))).toMatch(/status code/);
    expect(reason(OK.replace('200 OK', '200 O\x01K'))).toMatch(/control character/);
    expect(reason(INVITE.replace('SIP/2.0\r\n', 'SIP/2.1\r\n'))).toMatch(/SIP\/2\.0/);
    expect(reason(INVITE.replace('INVITE sip', 'IN(VITE sip'))).toMatch(/invalid method/);
    expect(reason(INVITE.replace('INVITE sip:bob@biloxi.example.com', 'INVITE bob@biloxi'))).toMatch(
      /Request-URI/,
    );
    expect(reason(INVITE.replace('INVITE sip:bob@biloxi.example.com SIP/2.0', 'INVITE'))).toMatch(
      /request line/,
    );
  });

  it('rejects a request whose CSeq method differs from its method', () => {
    expect(reason(INVITE.replace('CSeq: 314159 INVITE', 'CSeq: 314159 OPTIONS'))).toMatch(/does not match/);
  });

  it('rejects missing or repeated required headers', () => {
    for (const h of ['Via', 'From', 'To', 'Call-ID', 'CSeq']) {
      const without = OK.split('\r\n')
        .filter((l) => !l.startsWith(`${h}:`))
        .join('\r\n');
      expect(reason(without)).toMatch(new RegExp(`missing ${h}`));
    }
    expect(reason(OK.replace('CSeq: 314159 INVITE', 'CSeq: 314159 INVITE\r\nCSeq: 1 INVITE'))).toMatch(
      /CSeq/,
    );
    expect(reason(OK.replace('Call-ID: a', 'Call-ID: b\r\nCall-ID: a'))).toMatch(/once/);
  });

  it('rejects bad Content-Length values', () => {
    expect(reason(INVITE.replace('Content-Length: 4', 'Content-Length: 5'))).toMatch(
      /more than the 4 body bytes/,
    );
    expect(reason(INVITE.replace('Content-Length: 4', 'Content-Length: 4x'))).toMatch(/Content-Length/);
    expect(reason(INVITE.replace('Content-Length: 4', 'Content-Length: 4\r\nl: 3'))).toMatch(/conflicting/);
    expect(parse(INVITE.replace('Content-Length: 4', 'Content-Length: 4\r\nl: 4')).body.length).toBe(4);
  });

  it('rejects malformed header lines', () => {
    expect(reason(OK.replace('Content-Length: 0', 'Content-Length 0'))).toMatch(/without ":"/);
    expect(reason(OK.replace('Content-Length: 0', ': 0'))).toMatch(/without a name/);
    expect(reason(OK.replace('Content-Length: 0', 'Bad Name: 0'))).toMatch(/invalid header name/);
    expect(reason(OK.replace('Content-Length: 0', 'X: a\rb'))).toMatch(/bare CR/);
    expect(reason(`SIP/2.0 200 OK\r\n continued: x\r\n\r\n`)).toMatch(/continuation/);
  });

  it('leaves other header values to the layer that reads them', () => {
    const m = parse(
      OK.replace(';branch=z9hG4bK776asdhds', ';branch=').replace('To: Bob <sip', 'To: "Bob <sip'),
    );
    expect(() => parseVia(m.headers.get('Via') ?? '')).toThrow(SipParseError);
    expect(() => parseNameAddr(m.headers.get('To') ?? '')).toThrow(SipParseError);
  });

  it('rejects empty input, a missing blank line, and oversize messages', () => {
    expect(reason('')).toMatch(/empty/);
    expect(reason('\r\n\r\n')).toMatch(/empty/);
    expect(reason(OK.slice(0, -2))).toMatch(/no empty line/);
    expect(reason(OK, { maxMessageBytes: 100 })).toMatch(/exceeds the limit of 100/);
    expect(reason(Buffer.alloc(65536, 0x41))).toMatch(/exceeds/);
  });

  it('enforces maxHeaders', () => {
    const many = OK.replace('Content-Length: 0', `${'X-A: 1\r\n'.repeat(10)}Content-Length: 0`);
    expect(parse(many).headers.size).toBe(16);
    expect(reason(many, { maxHeaders: 15 })).toMatch(/more than 15 header fields/);
  });
});
