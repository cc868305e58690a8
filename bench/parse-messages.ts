/**
 * Throughput of parseMessage on three typical carrier messages, next to a floor baseline that only
 * decodes the bytes and splits lines (`toString('latin1').split('\r\n')`) in the same run.
 * Run: npx tsx bench/parse-messages.ts [seconds per case, default 2]
 */
import { parseMessage } from '../src/sip/embedded/message/index.js';

const crlf = (lines: string[]): Buffer => Buffer.from(lines.join('\r\n'));

const sdp = [
  'v=0',
  'o=- 3912456789 3912456789 IN IP4 198.51.100.10',
  's=-',
  'c=IN IP4 198.51.100.10',
  't=0 0',
  'm=audio 20000 RTP/AVP 0 8 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-15',
  'a=ptime:20',
  'a=sendrecv',
  '',
].join('\r\n');

const invite = crlf([
  'INVITE sip:+442071838750@sip.carrier.example;user=phone SIP/2.0',
  'Via: SIP/2.0/UDP 198.51.100.10:5060;branch=z9hG4bK-524287-1---77ba0b7f0c1b8a31;rport',
  'Max-Forwards: 70',
  'Contact: <sip:dialer@198.51.100.10:5060>',
  'To: <sip:+442071838750@sip.carrier.example;user=phone>',
  'From: "Campaign" <sip:+441134960000@sip.carrier.example>;tag=8f3e2a1c',
  'Call-ID: 5f1d2c3b4a5968778695a4b3c2d1e0f1@198.51.100.10',
  'CSeq: 2 INVITE',
  'Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, PRACK',
  'Supported: replaces, timer, 100rel',
  'Session-Expires: 1800;refresher=uac',
  'Min-SE: 90',
  'User-Agent: sip-dialer/0.1.0',
  'Proxy-Authorization: Digest username="acct1001",realm="sip.carrier.example",nonce="b7f3a8e9c2d14f6a",uri="sip:+442071838750@sip.carrier.example;user=phone",response="6629fae49393a05397450978507c4ef1",algorithm=MD5,cnonce="0a4f113b",qop=auth,nc=00000001',
  'Content-Type: application/sdp',
  `Content-Length: ${Buffer.byteLength(sdp)}`,
  '',
  sdp,
]);

const ok = crlf([
  'SIP/2.0 200 OK',
  'Via: SIP/2.0/UDP 198.51.100.10:5060;branch=z9hG4bK-524287-1---77ba0b7f0c1b8a31;rport=5060;received=198.51.100.10',
  'Record-Route: <sip:203.0.113.5;lr;ftag=8f3e2a1c>',
  'Contact: <sip:+442071838750@203.0.113.20:5060;transport=udp>',
  'To: <sip:+442071838750@sip.carrier.example;user=phone>;tag=as6d2f0b1c',
  'From: "Campaign" <sip:+441134960000@sip.carrier.example>;tag=8f3e2a1c',
  'Call-ID: 5f1d2c3b4a5968778695a4b3c2d1e0f1@198.51.100.10',
  'CSeq: 2 INVITE',
  'Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY',
  'Supported: replaces, timer',
  'Session-Expires: 1800;refresher=uac',
  'Content-Type: application/sdp',
  `Content-Length: ${Buffer.byteLength(sdp)}`,
  '',
  sdp,
]);

const unauthorized = crlf([
  'SIP/2.0 401 Unauthorized',
  'Via: SIP/2.0/UDP 198.51.100.10:5060;branch=z9hG4bK-524287-1---3f2e1d0c9b8a7968;rport=5060;received=198.51.100.10',
  'To: <sip:acct1001@sip.carrier.example>;tag=as1b2c3d4e',
  'From: <sip:acct1001@sip.carrier.example>;tag=a1b2c3d4',
  'Call-ID: reg-7c6b5a4938271605@198.51.100.10',
  'CSeq: 1 REGISTER',
  'WWW-Authenticate: Digest realm="sip.carrier.example", nonce="5f8a7b6c4d3e2f1a0b9c8d7e6f5a4b3c", opaque="", algorithm=SHA-256, qop="auth"',
  'WWW-Authenticate: Digest realm="sip.carrier.example", nonce="5f8a7b6c4d3e2f1a0b9c8d7e6f5a4b3c", opaque="", algorithm=MD5, qop="auth"',
  'Server: carrier-sbc',
  'Content-Length: 0',
  '',
  '',
]);

const seconds = Number(process.argv[2] ?? 2);

/** Runs fn on buf for `seconds`, checking the clock every 1024 calls; returns calls per second. */
function measure(buf: Buffer, fn: (b: Buffer) => number): { rate: number; sink: number } {
  let sink = 0;
  for (let i = 0; i < 20_000; i++) sink += fn(buf); // warm up the JIT
  const start = performance.now();
  const until = start + seconds * 1000;
  let n = 0;
  let now = start;
  while (now < until) {
    for (let i = 0; i < 1024; i++) sink += fn(buf);
    n += 1024;
    now = performance.now();
  }
  return { rate: (n * 1000) / (now - start), sink };
}

const parse = (b: Buffer): number => parseMessage(b).headers.size;
const floor = (b: Buffer): number => b.toString('latin1').split('\r\n').length;

const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits });
console.log(`node ${process.version}, ${seconds}s per case`);
console.log(
  'kind                 bytes   parseMessage msg/s    MB/s   | split floor msg/s    MB/s   | ratio',
);
let sink = 0;
const results: Array<{
  kind: string;
  bytes: number;
  parseMsgsPerSecond: number;
  splitMsgsPerSecond: number;
}> = [];
for (const [kind, buf] of [
  ['INVITE + SDP', invite],
  ['200 OK + SDP', ok],
  ['401 WWW-Authenticate', unauthorized],
] as const) {
  const p = measure(buf, parse);
  const f = measure(buf, floor);
  sink += p.sink + f.sink;
  const mbs = (rate: number): string => fmt((rate * buf.length) / 1e6, 1);
  console.log(
    `${kind.padEnd(20)} ${String(buf.length).padStart(5)}   ${fmt(p.rate).padStart(18)} ${mbs(p.rate).padStart(7)}   | ${fmt(f.rate).padStart(17)} ${mbs(f.rate).padStart(7)}   | ${(f.rate / p.rate).toFixed(1)}x`,
  );
  results.push({ kind, bytes: buf.length, parseMsgsPerSecond: p.rate, splitMsgsPerSecond: f.rate });
}
if (sink === 0) console.log('(sink)');
// One machine-readable line for bench/run-all.ts.
console.log(`BENCH_RESULT ${JSON.stringify({ bench: 'parse-messages', seconds, cases: results })}`);
