import { describe, expect, it } from 'vitest';
import { canonicalHeaderName, splitHeaderValues } from '../../../../src/sip/embedded/message/index.js';

describe('canonicalHeaderName', () => {
  it('expands every compact form, in either case', () => {
    const compact: Record<string, string> = {
      i: 'Call-ID',
      m: 'Contact',
      e: 'Content-Encoding',
      l: 'Content-Length',
      c: 'Content-Type',
      f: 'From',
      s: 'Subject',
      k: 'Supported',
      t: 'To',
      v: 'Via',
      o: 'Event',
      r: 'Refer-To',
      u: 'Allow-Events',
      x: 'Session-Expires',
      b: 'Referred-By',
      a: 'Accept-Contact',
      j: 'Reject-Contact',
      d: 'Request-Disposition',
      y: 'Identity',
      n: 'Identity-Info',
    };
    for (const [short, long] of Object.entries(compact)) {
      expect(canonicalHeaderName(short)).toBe(long);
      expect(canonicalHeaderName(short.toUpperCase())).toBe(long);
    }
  });

  it('gives the conventional spelling of irregular names', () => {
    const names = [
      'Call-ID',
      'CSeq',
      'WWW-Authenticate',
      'Proxy-Authenticate',
      'Proxy-Authorization',
      'MIME-Version',
    ];
    names.push(
      'RSeq',
      'RAck',
      'P-Asserted-Identity',
      'Min-SE',
      'Session-Expires',
      'Min-Expires',
      'Retry-After',
    );
    for (const name of names) {
      expect(canonicalHeaderName(name.toLowerCase())).toBe(name);
      expect(canonicalHeaderName(name.toUpperCase())).toBe(name);
    }
  });

  it('title-cases each dash-separated word of other names', () => {
    expect(canonicalHeaderName('x-my-HEADER')).toBe('X-My-Header');
    expect(canonicalHeaderName('max-forwards')).toBe('Max-Forwards');
    expect(canonicalHeaderName('content--type')).toBe('Content--Type');
  });

  it('stays correct after more distinct names than the cache holds', () => {
    for (let i = 0; i < 5000; i++) expect(canonicalHeaderName(`x-flood-${i}`)).toBe(`X-Flood-${i}`);
    expect(canonicalHeaderName('cseq')).toBe('CSeq');
    expect(canonicalHeaderName('CSEQ')).toBe('CSeq');
  });
});

describe('splitHeaderValues', () => {
  it('splits on commas outside quotes and angle brackets, trimming and dropping empties', () => {
    expect(splitHeaderValues('a, b ,c')).toEqual(['a', 'b', 'c']);
    expect(splitHeaderValues('"Doe, J" <sip:j@x>;tag=1, <sip:a,b@y>')).toEqual([
      '"Doe, J" <sip:j@x>;tag=1',
      '<sip:a,b@y>',
    ]);
    expect(splitHeaderValues('"a \\" , b", c')).toEqual(['"a \\" , b"', 'c']);
    expect(splitHeaderValues(' , ,, ')).toEqual([]);
    expect(splitHeaderValues('')).toEqual([]);
  });

  it('keeps an unterminated quote or bracket as one value', () => {
    expect(splitHeaderValues('"open, x')).toEqual(['"open, x']);
    expect(splitHeaderValues('<sip:a, b')).toEqual(['<sip:a, b']);
  });
});
