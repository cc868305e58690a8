import { createCipheriv, createHmac, timingSafeEqual } from 'node:crypto';
import { deriveSrtpKeys, type SrtpSessionKeys } from './srtp-key-derivation.js';
import { SrtpReplayWindow } from './srtp-replay-window.js';
import { SRTCP_TAG_LENGTH, srtpTagLength, type SrtpSuite } from './srtp-suite.js';

/** One direction's SDES key: what an `a=crypto` line carries (RFC 4568 §6.1). */
export interface SrtpKeyMaterial {
  readonly suite: SrtpSuite;
  /** 16 bytes. A secret: never logged. */
  readonly masterKey: Buffer;
  /** 14 bytes. A secret: never logged. */
  readonly masterSalt: Buffer;
  /** The MKI each packet carries between payload and tag (RFC 3711 §3.1), when the line named one. */
  readonly mki?: { readonly value: number; readonly length: number };
}

/** Why a packet was not accepted. */
export type SrtpDropReason = 'auth' | 'replay' | 'malformed';

/** What `unprotect…` returns for a packet it does not accept: it is dropped, never thrown. */
export interface SrtpDrop {
  readonly dropped: SrtpDropReason;
}

/** Keeps at most this many far-end SSRCs' rollover state; a far end uses one or two. */
const MAX_STREAMS = 16;
const RTP_HEADER_MIN = 12;
const SRTCP_HEADER = 8;
const SRTCP_E_FLAG = 0x80000000;

interface RtpStream {
  /** Highest sequence number authenticated (s_l of RFC 3711 §3.3.1). */
  seq: number;
  roc: number;
  readonly replay: SrtpReplayWindow;
}

interface RtcpStream {
  readonly replay: SrtpReplayWindow;
}

/**
 * SRTP and SRTCP (RFC 3711) with AES-CM and HMAC-SHA1 for one direction of a call: the sender's
 * context protects with our key, the receiver's unprotects with the far end's. Per SSRC it keeps
 * the rollover counter and a 64-packet replay window. Packets that fail are reported as drops,
 * not errors: a forged or stale packet must not end a call.
 */
export class SrtpContext {
  readonly suite: SrtpSuite;
  readonly #rtp: SrtpSessionKeys;
  readonly #rtcp: SrtpSessionKeys;
  readonly #tagLength: number;
  readonly #mki: Buffer | undefined;
  readonly #rtpStreams = new Map<number, RtpStream>();
  readonly #rtcpStreams = new Map<number, RtcpStream>();
  /** The next SRTCP index we send (31 bits). */
  #rtcpIndex = 0;

  constructor(key: SrtpKeyMaterial) {
    this.suite = key.suite;
    const derived = deriveSrtpKeys(key.masterKey, key.masterSalt);
    this.#rtp = derived.rtp;
    this.#rtcp = derived.rtcp;
    this.#tagLength = srtpTagLength(key.suite);
    if (key.mki !== undefined) {
      const mki = Buffer.alloc(key.mki.length);
      mki.writeUIntBE(key.mki.value, 0, key.mki.length);
      this.#mki = mki;
    }
  }

  /** An RTP packet (header and plain payload) as SRTP: payload encrypted, MKI and tag appended. */
  protectRtp(packet: Buffer): Buffer {
    const headerLength = rtpHeaderLength(packet);
    if (headerLength === undefined) throw new RangeError('not an RTP packet: cannot protect it');
    const ssrc = packet.readUInt32BE(8);
    const seq = packet.readUInt16BE(2);
    const stream = this.#rtpStream(ssrc, seq);
    const roc = estimateRoc(stream, seq);
    if (roc > stream.roc || (roc === stream.roc && seqNewer(seq, stream.seq))) {
      stream.roc = roc;
      stream.seq = seq;
    }
    const index = roc * 0x10000 + seq;
    const mkiLength = this.#mki?.length ?? 0;
    const out = Buffer.allocUnsafe(packet.length + mkiLength + this.#tagLength);
    packet.copy(out, 0, 0, headerLength);
    this.#crypt(this.#rtp, ssrc, index, packet.subarray(headerLength), out, headerLength);
    const authEnd = packet.length;
    this.#mki?.copy(out, authEnd);
    this.#rtpTag(out.subarray(0, authEnd), roc).copy(out, authEnd + mkiLength, 0, this.#tagLength);
    return out;
  }

  /** An SRTP packet back to RTP, or a drop (forged, replayed, too short). */
  unprotectRtp(packet: Buffer): Buffer | SrtpDrop {
    const mkiLength = this.#mki?.length ?? 0;
    const headerLength = rtpHeaderLength(packet);
    const authEnd = packet.length - this.#tagLength - mkiLength;
    if (headerLength === undefined || authEnd < headerLength) return { dropped: 'malformed' };
    const ssrc = packet.readUInt32BE(8);
    const seq = packet.readUInt16BE(2);
    const known = this.#rtpStreams.get(ssrc);
    const stream = known ?? { seq, roc: 0, replay: new SrtpReplayWindow() };
    const roc = estimateRoc(stream, seq);
    if (roc < 0) return { dropped: 'replay' };
    const index = roc * 0x10000 + seq;
    if (!stream.replay.check(index)) return { dropped: 'replay' };
    const tag = packet.subarray(packet.length - this.#tagLength);
    const expected = this.#rtpTag(packet.subarray(0, authEnd), roc).subarray(0, this.#tagLength);
    if (!timingSafeEqual(tag, expected)) return { dropped: 'auth' };
    if (this.#mki !== undefined && !this.#mki.equals(packet.subarray(authEnd, authEnd + mkiLength)))
      return { dropped: 'auth' };
    // Authenticated: only now may it move the rollover state (RFC 3711 §3.3.1).
    if (known === undefined) this.#remember(this.#rtpStreams, ssrc, stream);
    if (roc > stream.roc || (roc === stream.roc && seqNewer(seq, stream.seq))) {
      stream.roc = roc;
      stream.seq = seq;
    }
    stream.replay.accept(index);
    const out = Buffer.allocUnsafe(authEnd);
    packet.copy(out, 0, 0, headerLength);
    this.#crypt(this.#rtp, ssrc, index, packet.subarray(headerLength, authEnd), out, headerLength);
    return out;
  }

  /** A compound RTCP packet as SRTCP: encrypted after the first 8 bytes, E flag and index, tag. */
  protectRtcp(packet: Buffer): Buffer {
    if (packet.length < SRTCP_HEADER) throw new RangeError('not an RTCP packet: cannot protect it');
    const ssrc = packet.readUInt32BE(4);
    const index = this.#rtcpIndex;
    this.#rtcpIndex = (this.#rtcpIndex + 1) & 0x7fffffff;
    const mkiLength = this.#mki?.length ?? 0;
    const authEnd = packet.length + 4;
    const out = Buffer.allocUnsafe(authEnd + mkiLength + SRTCP_TAG_LENGTH);
    packet.copy(out, 0, 0, SRTCP_HEADER);
    this.#crypt(this.#rtcp, ssrc, index, packet.subarray(SRTCP_HEADER), out, SRTCP_HEADER);
    out.writeUInt32BE((SRTCP_E_FLAG | index) >>> 0, packet.length);
    this.#mki?.copy(out, authEnd);
    hmac(this.#rtcp.authenticationKey, out.subarray(0, authEnd)).copy(
      out,
      authEnd + mkiLength,
      0,
      SRTCP_TAG_LENGTH,
    );
    return out;
  }

  /** An SRTCP packet back to RTCP, or a drop. */
  unprotectRtcp(packet: Buffer): Buffer | SrtpDrop {
    const mkiLength = this.#mki?.length ?? 0;
    const authEnd = packet.length - SRTCP_TAG_LENGTH - mkiLength;
    if (authEnd < SRTCP_HEADER + 4) return { dropped: 'malformed' };
    const ssrc = packet.readUInt32BE(4);
    const word = packet.readUInt32BE(authEnd - 4);
    const index = word & 0x7fffffff;
    const encrypted = (word & SRTCP_E_FLAG) !== 0;
    const known = this.#rtcpStreams.get(ssrc);
    const stream = known ?? { replay: new SrtpReplayWindow() };
    if (!stream.replay.check(index)) return { dropped: 'replay' };
    const tag = packet.subarray(packet.length - SRTCP_TAG_LENGTH);
    const expected = hmac(this.#rtcp.authenticationKey, packet.subarray(0, authEnd)).subarray(
      0,
      SRTCP_TAG_LENGTH,
    );
    if (!timingSafeEqual(tag, expected)) return { dropped: 'auth' };
    if (this.#mki !== undefined && !this.#mki.equals(packet.subarray(authEnd, authEnd + mkiLength)))
      return { dropped: 'auth' };
    if (known === undefined) this.#remember(this.#rtcpStreams, ssrc, stream);
    stream.replay.accept(index);
    const plainEnd = authEnd - 4;
    const out = Buffer.allocUnsafe(plainEnd);
    packet.copy(out, 0, 0, SRTCP_HEADER);
    if (encrypted)
      this.#crypt(this.#rtcp, ssrc, index, packet.subarray(SRTCP_HEADER, plainEnd), out, SRTCP_HEADER);
    else packet.copy(out, SRTCP_HEADER, SRTCP_HEADER, plainEnd);
    return out;
  }

  #rtpStream(ssrc: number, seq: number): RtpStream {
    let stream = this.#rtpStreams.get(ssrc);
    if (stream === undefined) {
      stream = { seq, roc: 0, replay: new SrtpReplayWindow() };
      this.#remember(this.#rtpStreams, ssrc, stream);
    }
    return stream;
  }

  #remember<T>(streams: Map<number, T>, ssrc: number, stream: T): void {
    if (streams.size >= MAX_STREAMS) {
      const oldest = streams.keys().next().value;
      if (oldest !== undefined) streams.delete(oldest);
    }
    streams.set(ssrc, stream);
  }

  #rtpTag(authenticated: Buffer, roc: number): Buffer {
    const rocBytes = Buffer.allocUnsafe(4);
    rocBytes.writeUInt32BE(roc >>> 0, 0);
    return createHmac('sha1', this.#rtp.authenticationKey).update(authenticated).update(rocBytes).digest();
  }

  /** AES-CM (RFC 3711 §4.1.1) of `input` into `out` at `offset`; encryption and decryption alike. */
  #crypt(
    keys: SrtpSessionKeys,
    ssrc: number,
    index: number,
    input: Buffer,
    out: Buffer,
    offset: number,
  ): void {
    const iv = Buffer.alloc(16);
    keys.salt.copy(iv, 0);
    iv.writeUInt32BE((iv.readUInt32BE(4) ^ ssrc) >>> 0, 4);
    // The 48-bit index XORed into bytes 8-13: high 16 bits, then low 32.
    iv.writeUInt16BE(iv.readUInt16BE(8) ^ Math.floor(index / 0x100000000), 8);
    iv.writeUInt32BE((iv.readUInt32BE(10) ^ (index % 0x100000000)) >>> 0, 10);
    const cipher = createCipheriv('aes-128-ctr', keys.encryptionKey, iv);
    const body = cipher.update(input);
    body.copy(out, offset);
    cipher.final();
  }
}

/** Whether `value` is a drop rather than a packet. */
export function isSrtpDrop(value: Buffer | SrtpDrop): value is SrtpDrop {
  return !Buffer.isBuffer(value);
}

function hmac(key: Buffer, data: Buffer): Buffer {
  return createHmac('sha1', key).update(data).digest();
}

/** RFC 3711 §3.3.1 / Appendix A: the rollover counter `seq` most likely belongs to. */
function estimateRoc(stream: RtpStream, seq: number): number {
  if (stream.seq < 0x8000) return seq - stream.seq > 0x8000 ? stream.roc - 1 : stream.roc;
  return stream.seq - 0x8000 > seq ? stream.roc + 1 : stream.roc;
}

function seqNewer(seq: number, than: number): boolean {
  return seq !== than && ((seq - than) & 0xffff) < 0x8000;
}

/** Fixed header, CSRCs and header extension (RFC 3550 §5.3.1); undefined when it does not fit. */
function rtpHeaderLength(packet: Buffer): number | undefined {
  if (packet.length < RTP_HEADER_MIN || packet[0]! >> 6 !== 2) return undefined;
  let length = RTP_HEADER_MIN + (packet[0]! & 0x0f) * 4;
  if ((packet[0]! & 0x10) !== 0) {
    if (packet.length < length + 4) return undefined;
    length += 4 + packet.readUInt16BE(length + 2) * 4;
  }
  return packet.length < length ? undefined : length;
}
