import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const RFC4475 = fileURLToPath(new URL('../fixtures/rfc4475/', import.meta.url));

/** mulberry32: small and seeded, so a failing message can be made again from its seed and index. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Dialog identifiers of a live call, so generated responses hit a real transaction. */
export interface LiveIds {
  readonly via: string;
  readonly from: string;
  readonly to: string;
  readonly callId: string;
  readonly cseq: string;
}

const SDP =
  'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n';

function template(kind: number, ids: LiveIds, port: number): string {
  const h = `Via: ${ids.via}\r\nFrom: ${ids.from}\r\nTo: ${ids.to}\r\nCall-ID: ${ids.callId}\r\nCSeq: ${ids.cseq}\r\n`;
  const contact = `Contact: <sip:fuzz@127.0.0.1:${port}>\r\n`;
  switch (kind) {
    case 0:
      return `SIP/2.0 100 Trying\r\n${h}Content-Length: 0\r\n\r\n`;
    case 1:
      return `SIP/2.0 180 Ringing\r\n${h}${contact}Content-Length: 0\r\n\r\n`;
    case 2:
      return `SIP/2.0 200 OK\r\n${h}${contact}Content-Type: application/sdp\r\nContent-Length: ${SDP.length}\r\n\r\n${SDP}`;
    case 3:
      return `SIP/2.0 401 Unauthorized\r\n${h}WWW-Authenticate: Digest realm="carrier.test", nonce="abc", algorithm=MD5, qop="auth"\r\nContent-Length: 0\r\n\r\n`;
    case 4:
      return `SIP/2.0 503 Service Unavailable\r\n${h}Retry-After: 5\r\nContent-Length: 0\r\n\r\n`;
    case 5:
      return `BYE sip:dialer@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bKbye${ids.callId.length}\r\nFrom: ${ids.to}\r\nTo: ${ids.from}\r\nCall-ID: ${ids.callId}\r\nCSeq: 9 BYE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`;
    case 6:
      return `OPTIONS sip:dialer@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bKopt\r\nFrom: <sip:fuzz@b>;tag=1\r\nTo: <sip:dialer@127.0.0.1>\r\nCall-ID: opt-${ids.callId}\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`;
    default:
      return `INVITE sip:dialer@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bKinv\r\nFrom: <sip:fuzz@b>;tag=1\r\nTo: <sip:dialer@127.0.0.1>\r\nCall-ID: inv-${ids.callId}\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\nContent-Type: application/sdp\r\nContent-Length: ${SDP.length}\r\n\r\n${SDP}`;
  }
}

const NO_CALL: LiveIds = {
  via: 'SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKnone',
  from: '<sip:dialer@carrier.test>;tag=f1',
  to: '<sip:1@carrier.test>',
  callId: 'none@fuzz',
  cseq: '1 INVITE',
};

const NASTY = [
  '\0',
  '\r',
  '\n',
  '\r\n',
  '\r\n\r\n',
  ' ',
  '\t',
  ':',
  ';',
  ',',
  '<',
  '>',
  '"',
  '\\',
  '%',
  '%00',
  '@',
  '=',
  'sip:',
  ';branch=',
  'z9hG4bK',
  '\xff',
  '\u2028',
  '99999999999999999999',
  '-1',
  'Content-Length: 99999\r\n',
  'Content-Length: -5\r\n',
  'Via: SIP/2.0/UDP\r\n',
  'CSeq: 4294967296 INVITE\r\n',
  'Call-ID: \r\n',
];

/**
 * Generated and mutated SIP messages, deterministic for a seed: the RFC 4475 torture messages and
 * well-formed requests and responses (some carrying a live call's identifiers), each put through
 * zero to four mutations (bit flips, inserted bytes and tokens, deleted, repeated or swapped
 * spans and lines, truncation, line ends changed, a header repeated thousands of times).
 */
export class SipFuzzCorpus {
  readonly #seeds: Buffer[];
  readonly #random: () => number;

  constructor(seed: number) {
    this.#random = seededRandom(seed);
    this.#seeds = readdirSync(RFC4475)
      .filter((f) => f.endsWith('.dat'))
      .sort()
      .map((f) => readFileSync(RFC4475 + f));
  }

  #int(n: number): number {
    return Math.floor(this.#random() * n);
  }

  /** The next message. `live` (when given) makes generated responses belong to a real transaction. */
  next(port: number, live?: LiveIds): Buffer {
    const fromTorture = this.#random() < 0.3;
    let bytes = fromTorture
      ? (this.#seeds[this.#int(this.#seeds.length)] as Buffer)
      : Buffer.from(template(this.#int(8), live && this.#random() < 0.7 ? live : NO_CALL, port), 'latin1');
    const mutations = this.#int(5);
    for (let i = 0; i < mutations; i++) bytes = this.#mutate(bytes);
    return bytes;
  }

  #mutate(input: Buffer): Buffer {
    const b = Buffer.from(input);
    const at = this.#int(b.length + 1);
    switch (this.#int(10)) {
      case 0: {
        for (let k = 0; k < 1 + this.#int(8); k++) {
          const i = this.#int(b.length);
          if (b.length) b[i] = (b[i] as number) ^ (1 << this.#int(8));
        }
        return b;
      }
      case 1: {
        const junk = Buffer.alloc(1 + this.#int(16));
        for (let i = 0; i < junk.length; i++) junk[i] = this.#int(256);
        return Buffer.concat([b.subarray(0, at), junk, b.subarray(at)]);
      }
      case 2: {
        const token = NASTY[this.#int(NASTY.length)] as string;
        return Buffer.concat([b.subarray(0, at), Buffer.from(token, 'latin1'), b.subarray(at)]);
      }
      case 3:
        return Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + this.#int(40)))]);
      case 4:
        return b.subarray(0, at);
      case 5: {
        const span = b.subarray(at, at + 1 + this.#int(60));
        return Buffer.concat([b.subarray(0, at), span, span, b.subarray(at)]);
      }
      case 6: {
        const lines = b.toString('latin1').split('\r\n');
        const i = this.#int(lines.length);
        const j = this.#int(lines.length);
        [lines[i], lines[j]] = [lines[j] as string, lines[i] as string];
        return Buffer.from(lines.join('\r\n'), 'latin1');
      }
      case 7: {
        const text = b.toString('latin1');
        return Buffer.from(
          this.#random() < 0.5 ? text.replace(/\r\n/g, '\n') : text.replace(/\r\n/g, '\r'),
          'latin1',
        );
      }
      case 8: {
        // One header line repeated: mostly a few KB, now and then up to the UDP limit.
        const lines = b.toString('latin1').split('\r\n');
        const line = lines[1 + this.#int(Math.max(1, lines.length - 2))] ?? 'Via: x';
        const budget = this.#random() < 0.05 ? 60_000 : 4_000;
        const times = 1 + this.#int(Math.max(1, Math.floor(budget / (line.length + 2))));
        lines.splice(1, 0, ...Array.from({ length: times }, () => line));
        return Buffer.from(lines.join('\r\n').slice(0, 65_000), 'latin1');
      }
      default: {
        const digits = b
          .toString('latin1')
          .replace(/\d+/, () => String(this.#int(2) ? 2 ** 53 : -this.#int(1000)));
        return Buffer.from(digits, 'latin1');
      }
    }
  }
}
