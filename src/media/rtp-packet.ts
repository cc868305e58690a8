/** The fixed RTP header (RFC 3550 §5.1) fields we read and write; no CSRCs, no extension written. */
export interface RtpHeader {
  readonly payloadType: number;
  readonly sequenceNumber: number;
  readonly timestamp: number;
  readonly ssrc: number;
  readonly marker: boolean;
}

/** A received RTP packet: its header and where its payload starts (after CSRCs, extension, before padding). */
export interface ParsedRtpPacket extends RtpHeader {
  readonly payloadOffset: number;
  readonly payloadLength: number;
}

export const RTP_HEADER_LENGTH = 12;

/** Writes a version 2 header with no padding, extension or CSRC into `buf` at 0. */
export function writeRtpHeader(buf: Buffer, header: RtpHeader): void {
  buf[0] = 0x80;
  buf[1] = (header.marker ? 0x80 : 0) | (header.payloadType & 0x7f);
  buf.writeUInt16BE(header.sequenceNumber & 0xffff, 2);
  buf.writeUInt32BE(header.timestamp >>> 0, 4);
  buf.writeUInt32BE(header.ssrc >>> 0, 8);
}

/**
 * Reads an RTP packet, or `undefined` when it is not one we can use: not version 2, too short,
 * or an RTCP packet that arrived on the RTP port (payload types 72-76 once the marker is masked,
 * RFC 5761 §4).
 */
export function parseRtpPacket(buf: Buffer): ParsedRtpPacket | undefined {
  if (buf.length < RTP_HEADER_LENGTH || buf[0]! >> 6 !== 2) return undefined;
  const b0 = buf[0]!;
  const b1 = buf[1]!;
  const payloadType = b1 & 0x7f;
  if (payloadType >= 72 && payloadType <= 76) return undefined;
  let offset = RTP_HEADER_LENGTH + (b0 & 0x0f) * 4;
  if ((b0 & 0x10) !== 0) {
    if (buf.length < offset + 4) return undefined;
    offset += 4 + buf.readUInt16BE(offset + 2) * 4;
  }
  let end = buf.length;
  if ((b0 & 0x20) !== 0) end -= buf[buf.length - 1]!;
  if (end < offset) return undefined;
  return {
    payloadType,
    marker: (b1 & 0x80) !== 0,
    sequenceNumber: buf.readUInt16BE(2),
    timestamp: buf.readUInt32BE(4),
    ssrc: buf.readUInt32BE(8),
    payloadOffset: offset,
    payloadLength: end - offset,
  };
}
