import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createRequest,
  createResponse,
  parseCSeq,
  parseMessage,
  parseNameAddr,
  parseUri,
  parseVia,
  serializeMessage,
  SipHeaders,
  SipParseError,
  SipSerializeError,
  SipStreamFramer,
  type SipMessage,
} from '../../../../src/sip/embedded/message/index.js';

const TOKEN_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~";
const token = fc.string({ unit: fc.constantFrom(...TOKEN_CHARS), minLength: 1, maxLength: 12 });
const label = fc.string({
  unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'),
  minLength: 1,
  maxLength: 10,
});
const host = fc.array(label, { minLength: 1, maxLength: 3 }).map((labels) => labels.join('.'));
/** Any text a header value may hold: no CR, LF or NUL, no SP/HT at either end (parsing trims those). */
const headerValue = fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) =>
  s
    .replace(/[\r\n\0]/g, '')
    .replace(/^[ \t]+/, '')
    .replace(/[ \t]+$/, ''),
);
const reasonPhrase = fc
  .string({ unit: 'grapheme', maxLength: 30 })
  .map((s) => [...s].filter((ch) => ch === '\t' || (ch >= ' ' && ch !== '\x7f')).join(''));
const extraHeaders = fc.array(
  fc.tuple(
    token.map((t) => `X-${t}`),
    headerValue,
  ),
  { maxLength: 8 },
);

const common = fc.record({
  host,
  branch: token,
  fromTag: token,
  callId: token,
  seq: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  extras: extraHeaders,
  body: fc.uint8Array({ maxLength: 200 }),
});

type Common = typeof common extends fc.Arbitrary<infer T> ? T : never;

function headersFor(c: Common, method: string): SipHeaders {
  return new SipHeaders([
    ['Via', `SIP/2.0/UDP ${c.host}:5060;branch=z9hG4bK${c.branch}`],
    ['From', `<sip:a@${c.host}>;tag=${c.fromTag}`],
    ['To', `"Bob" <sip:b@${c.host}>`],
    ['Call-ID', c.callId],
    ['CSeq', `${c.seq} ${method}`],
    ...c.extras,
  ]);
}

const requestArb = fc
  .tuple(common, token, token)
  .map(([c, method, user]) =>
    createRequest(method, `sip:${user}@${c.host}`, headersFor(c, method), Buffer.from(c.body)),
  );
const responseArb = fc
  .tuple(common, fc.integer({ min: 100, max: 699 }), reasonPhrase, token)
  .map(([c, status, reason, method]) =>
    createResponse(status, reason, headersFor(c, method), Buffer.from(c.body)),
  );
const messageArb: fc.Arbitrary<SipMessage> = fc.oneof(requestArb, responseArb);

type Mutation =
  | { kind: 'flip'; at: number; byte: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: number[] }
  | { kind: 'delete'; at: number; length: number };

const interestingByte = fc.oneof(
  fc.constantFrom(
    0x0d,
    0x0a,
    0x00,
    0x20,
    0x09,
    0x3a,
    0x3b,
    0x2c,
    0x22,
    0x5c,
    0x3c,
    0x3e,
    0x40,
    0x3d,
    0x2f,
    0x25,
  ),
  fc.integer({ min: 0, max: 255 }),
);
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: interestingByte }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.array(interestingByte, { minLength: 1, maxLength: 8 }),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 16 }) }),
);

function mutate(input: Buffer, mutations: Mutation[]): Buffer {
  let buf = Buffer.from(input);
  for (const m of mutations) {
    const at = buf.length === 0 ? 0 : m.at % (buf.length + 1);
    if (m.kind === 'flip' && at < buf.length) buf[at] = m.byte;
    else if (m.kind === 'truncate') buf = buf.subarray(0, at);
    else if (m.kind === 'insert')
      buf = Buffer.concat([buf.subarray(0, at), Buffer.from(m.bytes), buf.subarray(at)]);
    else if (m.kind === 'delete') buf = Buffer.concat([buf.subarray(0, at), buf.subarray(at + m.length)]);
  }
  return buf;
}

/** Runs fn; the only error it may throw is `type`. */
function onlyThrows(type: typeof SipParseError | typeof SipSerializeError, fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof type)) throw err;
  }
}

/** Everything a UA would do with a received message must fail only with SipParseError / SipSerializeError. */
function exercise(data: Buffer): void {
  let msg: SipMessage | undefined;
  onlyThrows(SipParseError, () => {
    msg = parseMessage(data);
  });
  if (!msg) return;
  for (const v of msg.headers.getAll('Via')) onlyThrows(SipParseError, () => parseVia(v));
  for (const name of ['From', 'To', 'Contact', 'Route', 'Record-Route']) {
    for (const v of msg.headers.getAll(name)) {
      onlyThrows(SipParseError, () => parseUri(parseNameAddr(v).uri));
    }
  }
  onlyThrows(SipParseError, () => parseCSeq(msg?.headers.get('CSeq') ?? ''));
  if (msg.type === 'request')
    onlyThrows(SipParseError, () => parseUri(msg?.type === 'request' ? msg.uri : ''));
  onlyThrows(SipSerializeError, () => serializeMessage(msg as SipMessage));
}

const fixtureDir = fileURLToPath(new URL('../../../fixtures/rfc4475/', import.meta.url));
const fixtures = readdirSync(fixtureDir).map((f) => readFileSync(`${fixtureDir}${f}`));

describe('round trip (fast-check)', () => {
  it('serialize → parse → serialize gives the same bytes and the same message', () => {
    fc.assert(
      fc.property(messageArb, (msg) => {
        const wire = serializeMessage(msg);
        const parsed = parseMessage(wire);
        expect(serializeMessage(parsed).equals(wire)).toBe(true);
        expect(parsed.type).toBe(msg.type);
        if (parsed.type === 'request' && msg.type === 'request') {
          expect([parsed.method, parsed.uri]).toEqual([msg.method, msg.uri]);
        } else if (parsed.type === 'response' && msg.type === 'response') {
          expect([parsed.status, parsed.reason]).toEqual([msg.status, msg.reason]);
        }
        expect(parsed.body.equals(msg.body)).toBe(true);
        for (const [name, value] of msg.headers.entries())
          expect(parsed.headers.getAll(name).join()).toContain(value);
      }),
      { numRuns: 500 },
    );
  });

  it('the stream framer returns each serialized message whole, however the stream is chunked', () => {
    fc.assert(
      fc.property(
        fc.array(messageArb, { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (msgs, cuts) => {
          const wires = msgs.map(serializeMessage);
          const stream = Buffer.concat(wires.flatMap((w) => [Buffer.from('\r\n\r\n'), w]));
          const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
          const framer = new SipStreamFramer();
          const out: Buffer[] = [];
          let prev = 0;
          for (const p of [...points, stream.length]) {
            out.push(...framer.push(stream.subarray(prev, p)));
            prev = p;
          }
          expect(out).toHaveLength(wires.length);
          out.forEach((frame, i) => expect(frame.equals(wires[i] as Buffer)).toBe(true));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('mutation fuzz (fast-check)', () => {
  const seed = fc.oneof(messageArb.map(serializeMessage), fc.constantFrom(...fixtures));

  it('parsing mutated messages throws nothing but SipParseError', () => {
    fc.assert(
      fc.property(seed, fc.array(mutationArb, { minLength: 1, maxLength: 5 }), (input, mutations) => {
        exercise(mutate(input, mutations));
      }),
      { numRuns: 2000 },
    );
  });

  it('framing mutated streams throws nothing but SipParseError', () => {
    fc.assert(
      fc.property(
        seed,
        fc.array(mutationArb, { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 1, max: 64 }),
        (input, mutations, chunk) => {
          const data = mutate(Buffer.concat([input, input]), mutations);
          const framer = new SipStreamFramer({ maxMessageBytes: 4096 });
          onlyThrows(SipParseError, () => {
            for (let i = 0; i < data.length; i += chunk) {
              for (const frame of framer.push(data.subarray(i, i + chunk))) exercise(frame);
            }
          });
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('structured header parsers throw nothing but SipParseError on arbitrary text', () => {
    const text = fc.oneof(
      fc.string({ unit: fc.constantFrom(...'sip:@;=<>"\\,?&[]/ \tabc1.-%'), maxLength: 60 }),
      fc.string({ unit: 'grapheme', maxLength: 40 }),
    );
    fc.assert(
      fc.property(text, (s) => {
        onlyThrows(SipParseError, () => parseVia(s));
        onlyThrows(SipParseError, () => parseNameAddr(s));
        onlyThrows(SipParseError, () => parseUri(s));
        onlyThrows(SipParseError, () => parseCSeq(s));
      }),
      { numRuns: 3000 },
    );
  });
});
