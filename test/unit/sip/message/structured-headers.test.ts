import { describe, expect, it } from 'vitest';
import {
  formatNameAddr,
  formatParams,
  formatUri,
  formatVia,
  parseCSeq,
  parseNameAddr,
  parseParams,
  parseUri,
  parseVia,
  SipParseError,
} from '../../../../src/sip/embedded/message/index.js';

const bad = (fn: () => unknown): void => {
  expect(fn).toThrow(SipParseError);
};

describe('parseParams', () => {
  it('parses flags, values and quoted values; names lower-cased; whitespace allowed', () => {
    const p = parseParams(';a=b;C;d="x;y" ; E = F ;q="say \\"hi\\""');
    expect([...p]).toEqual([
      ['a', 'b'],
      ['c', null],
      ['d', 'x;y'],
      ['e', 'F'],
      ['q', 'say "hi"'],
    ]);
    expect(parseParams('').size).toBe(0);
    expect(parseParams(';received=[2001:db8::1]').get('received')).toBe('[2001:db8::1]');
  });

  it('keeps the first of repeated names', () => {
    expect(parseParams(';tag=1;tag=2').get('tag')).toBe('1');
  });

  it('throws on garbage', () => {
    for (const s of [';', ';;', ';a=', ';a="x', ';a=b c', ';a,b', ';=b', ';a<b', 'a b', ';a=b;'])
      bad(() => parseParams(s));
  });

  it('formats back, quoting values that need it', () => {
    expect(formatParams(parseParams(';a=b;c;d="x;y";e=""'))).toBe(';a=b;c;d="x;y";e=""');
  });
});

describe('parseUri / formatUri', () => {
  it('parses user, password, host, port, params and headers', () => {
    const u = parseUri('sip:alice:secret@Example.com:5070;transport=TCP;lr?Subject=hi&Priority=urgent');
    expect(u).toMatchObject({
      scheme: 'sip',
      user: 'alice',
      password: 'secret',
      host: 'Example.com',
      port: 5070,
    });
    expect([...u.params]).toEqual([
      ['transport', 'TCP'],
      ['lr', null],
    ]);
    expect([...u.headers]).toEqual([
      ['Subject', 'hi'],
      ['Priority', 'urgent'],
    ]);
    expect(formatUri(u)).toBe(
      'sip:alice:secret@Example.com:5070;transport=TCP;lr?Subject=hi&Priority=urgent',
    );
  });

  it('handles sips, scheme case, no user, IPv6 hosts', () => {
    expect(parseUri('SIPS:example.com')).toMatchObject({ scheme: 'sips', host: 'example.com' });
    const v6 = parseUri('sip:bob@[2001:db8::10]:5060;maddr=[2001:db8::1]');
    expect(v6).toMatchObject({ host: '2001:db8::10', port: 5060 });
    expect(v6.params.get('maddr')).toBe('[2001:db8::1]');
    expect(formatUri(v6)).toBe('sip:bob@[2001:db8::10]:5060;maddr=[2001:db8::1]');
  });

  it('puts a tel: number in user', () => {
    const t = parseUri('tel:+1-201-555-0123;phone-context=example.com');
    expect(t).toMatchObject({ scheme: 'tel', user: '+1-201-555-0123', host: '' });
    expect(formatUri(t)).toBe('tel:+1-201-555-0123;phone-context=example.com');
  });

  it('throws on garbage', () => {
    const cases = [
      '',
      'sip:',
      'http://example.com',
      'sip:@host',
      'sip:user@',
      'sip:host:99999',
      'sip:host:',
      'sip:host:12a',
    ];
    cases.push(
      'sip:[2001:db8::1',
      'sip:[zz]',
      'sip:a b@c',
      'sip:host;',
      'sip:host?x',
      'sip:host>',
      'tel:',
      'tel:+1+2',
      'sip:a"b@c',
    );
    cases.push('sip:host;a=b"c"', 'sip:hóst');
    for (const s of cases) bad(() => parseUri(s));
  });
});

describe('parseNameAddr / formatNameAddr', () => {
  it('parses the quoted, token and bare forms', () => {
    expect(parseNameAddr('"Bob \\"B\\" Smith" <sip:bob@b.example>;tag=x1')).toEqual({
      displayName: 'Bob "B" Smith',
      uri: 'sip:bob@b.example',
      params: new Map([['tag', 'x1']]),
    });
    expect(parseNameAddr('Bob  Smith<sip:bob@b.example>')).toMatchObject({ displayName: 'Bob  Smith' });
    expect(parseNameAddr('<sip:a@b;lr>')).toEqual({ uri: 'sip:a@b;lr', params: new Map() });
    // In the bare form the parameters belong to the header, not the URI (§20.10).
    expect(parseNameAddr('sip:a@b;tag=x;expires=60')).toEqual({
      uri: 'sip:a@b',
      params: new Map([
        ['tag', 'x'],
        ['expires', '60'],
      ]),
    });
    expect(parseNameAddr(' <urn:service:sos> ').uri).toBe('urn:service:sos');
  });

  it('throws on garbage', () => {
    const cases = [
      '',
      '"open <sip:a@b>',
      '"a" sip:a@b',
      '<sip:a@b',
      'a@b',
      '<>',
      '<sip:a@b> junk',
      'Bad,Name <sip:a@b>',
    ];
    cases.push('< sip:a@b >', 'sip:a@b?x=y', '<sip:a@b>;', '<sip:a@b>;tag="x', '"a" <1sip:a@b>');
    for (const s of cases) bad(() => parseNameAddr(s));
  });

  it('formats with <> and a quoted, escaped display name', () => {
    const n = parseNameAddr('sip:a@b;tag=x');
    expect(formatNameAddr(n)).toBe('<sip:a@b>;tag=x');
    expect(formatNameAddr({ displayName: 'A "q" \\ z', uri: 'sip:a@b', params: new Map() })).toBe(
      '"A \\"q\\" \\\\ z" <sip:a@b>',
    );
    const round = parseNameAddr(
      formatNameAddr({ displayName: 'A "q" \\ z', uri: 'sip:a@b', params: new Map() }),
    );
    expect(round.displayName).toBe('A "q" \\ z');
  });
});

describe('parseVia / formatVia', () => {
  it('parses protocol, transport, sent-by and params (branch via params)', () => {
    const v = parseVia('SIP/2.0/udp 192.0.2.1:5060;branch=z9hG4bK776;received=198.51.100.1;rport');
    expect(v).toMatchObject({ protocol: 'SIP/2.0', transport: 'UDP', host: '192.0.2.1', port: 5060 });
    expect(v.params.get('branch')).toBe('z9hG4bK776');
    expect(v.params.get('rport')).toBeNull();
    expect(formatVia(v)).toBe('SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776;received=198.51.100.1;rport');
  });

  it('allows LWS around / and :, and IPv6 sent-by', () => {
    expect(parseVia('SIP / 2.0 / TCP  host.example : 5061 ; branch = z9hG4bKx')).toMatchObject({
      transport: 'TCP',
      host: 'host.example',
      port: 5061,
    });
    const v6 = parseVia('SIP/2.0/UDP [2001:db8::9]:5060;branch=z9hG4bK1');
    expect(v6.host).toBe('2001:db8::9');
    expect(formatVia(v6)).toBe('SIP/2.0/UDP [2001:db8::9]:5060;branch=z9hG4bK1');
  });

  it('throws on garbage', () => {
    const cases = [
      '',
      'SIP/2.0',
      'SIP/2.0/UDP',
      'SIP/2.0/UDPhost',
      'SIP/2.0 UDP host',
      'SIP/2.0/UDP host:port',
    ];
    cases.push('SIP/2.0/UDP host;;', 'SIP/2.0/UDP host;branch=', 'SIP/2.0/UDP [::1', 'SIP/2.0/UDP host junk');
    cases.push('SIP/2.0/UDP host:70000', 'SIP/2.0/UDP [zz]', 'SIP/2.0/UDP a, SIP/2.0/UDP b');
    for (const s of cases) bad(() => parseVia(s));
  });
});

describe('parseCSeq', () => {
  it('parses number and method, allowing leading zeros and LWS', () => {
    expect(parseCSeq('314159 INVITE')).toEqual({ seq: 314159, method: 'INVITE' });
    expect(parseCSeq(' 0009  ACK ')).toEqual({ seq: 9, method: 'ACK' });
    expect(parseCSeq('2147483647 BYE')).toEqual({ seq: 2 ** 31 - 1, method: 'BYE' });
  });

  it('throws on garbage and on numbers of 2^31 or more', () => {
    for (const s of [
      '',
      'INVITE',
      '1',
      '1INVITE',
      '-1 INVITE',
      '2147483648 INVITE',
      '1 INVITE x',
      '1 IN<VITE',
      `${'9'.repeat(400)} A`,
    ]) {
      bad(() => parseCSeq(s));
    }
  });
});
