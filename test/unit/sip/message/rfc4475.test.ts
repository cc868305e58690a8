import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  parseCSeq,
  parseMessage,
  parseNameAddr,
  parseUri,
  parseVia,
  serializeMessage,
  SipParseError,
  SipSerializeError,
  SipStreamFramer,
  type SipMessage,
  type SipRequest,
  type SipResponse,
} from '../../../../src/sip/embedded/message/index.js';

// RFC 4475 torture messages, byte-exact as in the RFC's Appendix A archive.
const dir = fileURLToPath(new URL('../../../fixtures/rfc4475/', import.meta.url));
const load = (name: string): Buffer => readFileSync(`${dir}${name}.dat`);

function request(name: string): SipRequest {
  const msg = parseMessage(load(name));
  if (msg.type !== 'request') throw new Error(`${name} is not a request`);
  return msg;
}

function response(name: string): SipResponse {
  const msg = parseMessage(load(name));
  if (msg.type !== 'response') throw new Error(`${name} is not a response`);
  return msg;
}

function header(msg: SipMessage, name: string): string {
  const v = msg.headers.get(name);
  if (v === undefined) throw new Error(`no ${name}`);
  return v;
}

function parseError(name: string): SipParseError {
  try {
    parseMessage(load(name));
  } catch (err) {
    if (err instanceof SipParseError) return err;
    throw err;
  }
  throw new Error(`${name} parsed`);
}

describe('RFC 4475 §3.1.1 valid messages: the parser accepts them', () => {
  it('wsinv: folding, odd whitespace, compact and mixed-case names, unknown headers', () => {
    const m = request('wsinv');
    expect(m.method).toBe('INVITE');
    expect(m.uri).toBe('sip:vivekg@chair-dnrc.example.com;unknownparam');
    expect(header(m, 'Max-Forwards')).toBe('0068');
    expect(parseCSeq(header(m, 'CSeq'))).toEqual({ seq: 9, method: 'INVITE' });
    expect(header(m, 'Subject')).toBe('');
    expect(header(m, 'NewFangledHeader')).toBe('newfangled value continued newfangled value');
    expect(header(m, 'UnknownHeaderWithUnusualValue')).toBe(';;,,;;,;');
    const vias = m.headers.getAll('Via').map(parseVia);
    expect(vias.map((v) => [v.transport, v.host, v.params.get('branch')])).toEqual([
      ['UDP', '192.0.2.2', '390skdjuw'],
      ['TCP', 'spindle.example.com', 'z9hG4bK9ikj8'],
      ['UDP', '192.168.255.111', 'z9hG4bK30239'],
    ]);
    expect(parseNameAddr(header(m, 'To')).params.get('tag')).toBe('1918181833n');
    const from = parseNameAddr(header(m, 'From'));
    expect(from.displayName).toBe('J Rosenberg \\"');
    expect(from.params.get('tag')).toBe('98asjd8');
    const contact = parseNameAddr(header(m, 'Contact'));
    expect(contact.displayName).toBe('Quoted string ""');
    expect([...contact.params]).toEqual([
      ['newparam', 'newvalue'],
      ['secondparam', null],
      ['q', '0.33'],
    ]);
    expect(parseUri(parseNameAddr(header(m, 'Route')).uri).params.get('unknownwith')).toBe('value');
    expect(m.body.length).toBe(150);
  });

  it('intmeth: every token character in method, branch, tags; quoted NUL/BEL/DEL; UTF-8', () => {
    const m = request('intmeth');
    expect(m.method).toBe("!interesting-Method0123456789_*+`.%indeed'~");
    expect(parseCSeq(header(m, 'CSeq')).method).toBe(m.method);
    const uri = parseUri(m.uri);
    expect(uri.user).toBe("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
    expect(uri.password).toBe("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
    expect(uri.host).toBe('example.com');
    expect(parseVia(header(m, 'Via')).params.get('branch')).toBe("z9hG4bK-.!%66*_+`'~");
    expect(parseNameAddr(header(m, 'To')).displayName).toBe('BEL:\x07 NUL:\x00 DEL:\x7f');
    const from = parseNameAddr(header(m, 'From'));
    expect(from.displayName).toBe("token1~` token2'+_ token3*%!.-");
    expect(from.params.get("fromparam''~+*_!.-%")).toBe('работающий');
    expect(from.params.get('tag')).toBe("_token~1'+`*%!-.");
    expect(header(m, 'Call-ID')).toBe('intmeth.word%ZK-!.*_+\'@word`~)(><:\\/"][?}{');
    expect(header(m, "extensionHeader-!.%*+_`'~")).toBe('\ufeff大停電');
    // A quoted NUL is legal SIP, but our serializer refuses NUL in any value: echoing this To in a
    // response fails loudly instead of putting a NUL on the wire (the UA answers without it).
    expect(() => serializeMessage(m)).toThrow(SipSerializeError);
  });

  it('esc01: %-escapes in URIs are kept as written (never recursively unescaped)', () => {
    const m = request('esc01');
    expect(parseUri(m.uri)).toMatchObject({ user: 'sips%3Auser%40example.com', host: 'example.net' });
    expect(parseUri(header(m, 'To')).user).toBe('%75se%72');
    expect(parseUri(parseNameAddr(header(m, 'From')).uri).user).toBe('I%20have%20spaces');
    const contact = parseUri(parseNameAddr(header(m, 'Contact')).uri);
    expect(contact.params.get('%6c%72')).toBeNull();
    expect(contact.params.get('n%61me')).toBe('v%61lue%25%34%31');
    expect(header(m, 'Content-Type')).toBe('application/sdp');
  });

  it('escnull: escaped NULs stay escaped, so the two Contacts stay distinct', () => {
    const m = request('escnull');
    expect(parseUri(header(m, 'To')).user).toBe('null-%00-null');
    expect(m.headers.getAll('Contact').map((c) => parseUri(parseNameAddr(c).uri).user)).toEqual([
      '%00',
      '%00%00',
    ]);
  });

  it('esc02: % is not an escape in methods, display names or header names', () => {
    const m = request('esc02');
    expect(m.method).toBe('RE%47IST%45R');
    expect(parseNameAddr(header(m, 'To')).displayName).toBe('%Z%45');
    expect(m.headers.getAll('Contact')).toHaveLength(2);
    expect(header(m, 'C%6Fntact')).toBe('<sip:alias2@host2.example.com>');
  });

  it('lwsdisp: no whitespace between display name and <', () => {
    expect(parseNameAddr(header(request('lwsdisp'), 'From')).displayName).toBe('caller');
  });

  it('longreq: long values and 34 Via header fields', () => {
    const m = request('longreq');
    expect(m.headers.getAll('Via')).toHaveLength(34);
    expect(parseVia(m.headers.getAll('Via')[33] ?? '').params.get('branch')).toBe(
      `very${'long'.repeat(50)}branchvalue`,
    );
    expect(parseNameAddr(header(m, 'To')).displayName).toContain('extremeextreme');
    expect(parseNameAddr(header(m, 'From')).params.get('tag')).toHaveLength(155);
    expect(m.body.length).toBe(150);
  });

  it('dblreq: only the first request in the datagram counts (Content-Length: 0)', () => {
    const m = request('dblreq');
    expect(m.method).toBe('REGISTER');
    expect(m.body.length).toBe(0);
  });

  it('semiuri: ; in the user part of the Request-URI', () => {
    const uri = parseUri(request('semiuri').uri);
    expect(uri.user).toBe('user;par=u%40example.net');
    expect(uri.host).toBe('example.com');
    expect(uri.params.size).toBe(0);
    expect(request('semiuri').headers.getAll('Accept')).toHaveLength(6);
  });

  it('transports: known and unknown Via transports', () => {
    const vias = request('transports').headers.getAll('Via').map(parseVia);
    expect(vias.map((v) => v.transport)).toEqual(['UDP', 'SCTP', 'TLS', 'UNKNOWN', 'TCP']);
  });

  it('mpart01: binary multipart body cut to Content-Length', () => {
    const m = request('mpart01');
    expect(m.body.length).toBe(553);
    expect(m.body.subarray(-22).toString('latin1')).toBe('--7a9cbec02ceef655--\r\n');
  });

  it('unreason: UTF-8 reason phrase', () => {
    const m = response('unreason');
    expect(m.status).toBe(200);
    expect(m.reason).toBe('= 2**3 * 5**2 но сто девяносто девять - простое');
    expect(m.body.length).toBe(154);
  });

  it('noreason: empty reason phrase', () => {
    const m = response('noreason');
    expect(m.status).toBe(100);
    expect(m.reason).toBe('');
  });

  it('valid messages with a Content-Length come through the stream framer unchanged', () => {
    for (const name of ['wsinv', 'esc01', 'longreq', 'mpart01', 'unreason', 'noreason']) {
      const bytes = load(name);
      const framed = new SipStreamFramer().push(bytes);
      expect(framed).toHaveLength(1);
      expect(framed[0]?.equals(bytes)).toBe(true);
    }
  });
});

describe('RFC 4475 §3.1.2 and §3.3: invalid messages', () => {
  // Rejected by the message layer: these break framing, the start line, a required header's
  // presence, or CSeq (which every layer reads).
  const parserRejects: Array<[name: string, why: RegExp]> = [
    ['clerr', /Content-Length 9999/], // Content-Length larger than the datagram
    ['ncl', /Content-Length.*-999/], // negative Content-Length
    ['scalar02', /CSeq.*out of range/], // CSeq >= 2^31 (the huge Max-Forwards/Expires are not ours to judge)
    ['scalarlg', /CSeq.*out of range/], // response with CSeq >= 2^31: discarded
    ['ltgtruri', /Request-URI/], // <> around the Request-URI
    ['lwsruri', /one SP/], // whitespace inside the Request-URI
    ['lwsstart', /one SP/], // several SP between request line elements
    ['trws', /one SP/], // SP at the end of the request line
    ['insuf', /missing From/], // no From, To, Call-ID (or Max-Forwards)
  ];
  for (const [name, why] of parserRejects) {
    it(`${name}: parseMessage throws SipParseError`, () => {
      const err = parseError(name);
      expect(err.code).toBe('SIP_PARSE_ERROR');
      expect(err.reason).toMatch(why);
    });
  }

  // Accepted by the message layer: well-framed, and the fault is in a header only some layer
  // reads. Each test shows what that layer sees, so it can answer (400, 415, 420) or discard.
  it('badinv01: accepted; the transaction layer fails parsing the top Via (";;" params) and answers 400', () => {
    const m = request('badinv01');
    expect(() => parseVia(m.headers.getAll('Via')[0] ?? '')).toThrow(SipParseError);
    expect(() => parseNameAddr(header(m, 'Contact'))).toThrow(SipParseError);
  });

  it('quotbal: accepted; the UA fails parsing To (unterminated quote) and answers 400', () => {
    const m = request('quotbal');
    expect(() => parseNameAddr(header(m, 'To'))).toThrow(SipParseError);
  });

  it('escruri: accepted (a SIP URI may have headers); the UA answers 400 because a Request-URI must not (§19.1.1)', () => {
    const uri = parseUri(request('escruri').uri);
    expect([...uri.headers]).toEqual([['Route', '%3Csip:example.com%3E']]);
  });

  it('baddate: accepted; the dialer never reads Date, so a non-GMT zone does not matter', () => {
    expect(header(request('baddate'), 'Date')).toBe('Fri, 01 Jan 2010 16:00:00 EST');
  });

  it('regaut01: accepted; an unknown Authorization scheme is a registrar matter, not a UA one', () => {
    expect(header(request('regaut01'), 'Authorization')).toBe('NoOneKnowsThisScheme opaque-data=here');
  });

  it('bcast: accepted; the UA discards a response with more than one Via (§8.1.3.3)', () => {
    const vias = response('bcast').headers.getAll('Via').map(parseVia);
    expect(vias.map((v) => v.host)).toEqual(['192.0.2.198', '255.255.255.255']);
  });

  it('bext01: accepted; the UA answers 420 listing the unknown Require options', () => {
    expect(request('bext01').headers.getAll('Require')).toEqual([
      'nothingSupportsThis',
      'nothingSupportsThisEither',
    ]);
  });

  it('inv2543: accepted; RFC 2543 style (no branch, no Max-Forwards, body without Content-Length)', () => {
    const m = request('inv2543');
    expect(parseVia(header(m, 'Via')).params.has('branch')).toBe(false);
    expect(m.headers.has('Max-Forwards')).toBe(false);
    expect(m.body.toString('latin1')).toMatch(/^v=0\r\n[^]*m=audio 49217 RTP\/AVP 0\r\n$/);
    // On a stream transport the same bytes cannot be framed: no Content-Length.
    expect(() => new SipStreamFramer().push(load('inv2543'))).toThrow(/no Content-Length/);
  });

  it('sdp01: accepted; the UA answers 415 (it cannot answer in an Accept-able type)', () => {
    expect(header(request('sdp01'), 'Accept')).toBe('text/nobodyKnowsThis');
  });

  it('zeromf: accepted; Max-Forwards 0 only stops proxies, a UA answers the OPTIONS', () => {
    expect(header(request('zeromf'), 'Max-Forwards')).toBe('0');
  });
});
