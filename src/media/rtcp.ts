import type { ReceptionReport } from './rtp-receive-stats.js';

const PT_SR = 200;
const PT_RR = 201;
const PT_SDES = 202;
const PT_BYE = 203;
const SDES_CNAME = 1;
/** Seconds from 1900 (NTP era 0) to 1970. */
const NTP_UNIX_OFFSET = 2_208_988_800;

/** Our side of a sender report (RFC 3550 §6.4.1). */
export interface SenderInfo {
  /** ms since the epoch, for the NTP timestamp. */
  readonly wallClockMs: number;
  /** The RTP timestamp of the same instant. */
  readonly rtpTimestamp: number;
  readonly packetCount: number;
  readonly octetCount: number;
}

/** The last SR seen from the far end, to echo as LSR/DLSR in our report block. */
export interface LastSenderReport {
  /** Middle 32 bits of its NTP timestamp. */
  readonly lsr: number;
  /** Monotonic ms when it arrived. */
  readonly receivedAtMs: number;
}

export interface CompoundInput {
  readonly ssrc: number;
  readonly cname: string;
  /** Present when we have sent RTP since the last report: an SR, else an RR. */
  readonly sender?: SenderInfo;
  readonly report?: ReceptionReport;
  readonly lastSr?: LastSenderReport;
  readonly nowMs: number;
  /** Append a BYE (the session is ending). */
  readonly bye?: boolean;
}

/** What the far end reported about our stream. */
export interface RemoteReport {
  readonly fractionLost: number;
  readonly cumulativeLost: number;
  /** Jitter of our stream as they measured it, ms (8 kHz clock). */
  readonly jitterMs: number;
  /** Round trip from LSR/DLSR, ms, when they echoed one of our SRs. */
  readonly rttMs?: number;
}

export interface ParsedRtcp {
  readonly senderSsrc?: number;
  /** Middle 32 bits of the NTP timestamp of an SR in the packet. */
  readonly srNtpMiddle?: number;
  /** The report block about `ourSsrc`, if any. */
  readonly aboutUs?: RemoteReport;
  readonly bye: boolean;
}

/** A compound RTCP packet: SR or RR, then SDES with our CNAME, then an optional BYE (§6.1). */
export function buildRtcpCompound(input: CompoundInput): Buffer {
  const parts: Buffer[] = [];
  const blocks = input.report ? 1 : 0;
  if (input.sender) {
    const sr = Buffer.alloc(28 + blocks * 24);
    writeCommon(sr, blocks, PT_SR);
    sr.writeUInt32BE(input.ssrc >>> 0, 4);
    const { seconds, fraction } = ntpOf(input.sender.wallClockMs);
    sr.writeUInt32BE(seconds, 8);
    sr.writeUInt32BE(fraction, 12);
    sr.writeUInt32BE(input.sender.rtpTimestamp >>> 0, 16);
    sr.writeUInt32BE(input.sender.packetCount >>> 0, 20);
    sr.writeUInt32BE(input.sender.octetCount >>> 0, 24);
    if (input.report) writeReportBlock(sr, 28, input.report, input.lastSr, input.nowMs);
    parts.push(sr);
  } else {
    const rr = Buffer.alloc(8 + blocks * 24);
    writeCommon(rr, blocks, PT_RR);
    rr.writeUInt32BE(input.ssrc >>> 0, 4);
    if (input.report) writeReportBlock(rr, 8, input.report, input.lastSr, input.nowMs);
    parts.push(rr);
  }
  const cname = Buffer.from(input.cname.slice(0, 255), 'utf8');
  // Chunk: SSRC, CNAME item, end-of-list null, padded to a 32-bit boundary.
  const chunkLength = Math.ceil((4 + 2 + cname.length + 1) / 4) * 4;
  const sdes = Buffer.alloc(4 + chunkLength);
  writeCommon(sdes, 1, PT_SDES);
  sdes.writeUInt32BE(input.ssrc >>> 0, 4);
  sdes[8] = SDES_CNAME;
  sdes[9] = cname.length;
  cname.copy(sdes, 10);
  parts.push(sdes);
  if (input.bye) {
    const bye = Buffer.alloc(8);
    writeCommon(bye, 1, PT_BYE);
    bye.writeUInt32BE(input.ssrc >>> 0, 4);
    parts.push(bye);
  }
  return Buffer.concat(parts);
}

/** Reads a compound packet; `undefined` when it is not RTCP. Unknown packet types are skipped. */
export function parseRtcp(buf: Buffer, ourSsrc: number, nowWallMs: number): ParsedRtcp | undefined {
  if (buf.length < 8 || buf[0]! >> 6 !== 2) return undefined;
  const firstType = buf[1]!;
  if (firstType < PT_SR || firstType > 204) return undefined;
  let offset = 0;
  let senderSsrc: number | undefined;
  let srNtpMiddle: number | undefined;
  let aboutUs: RemoteReport | undefined;
  let bye = false;
  while (offset + 4 <= buf.length) {
    const count = buf[offset]! & 0x1f;
    const type = buf[offset + 1]!;
    const length = (buf.readUInt16BE(offset + 2) + 1) * 4;
    if (offset + length > buf.length) break;
    if (type === PT_SR || type === PT_RR) {
      senderSsrc = buf.readUInt32BE(offset + 4);
      let blockAt = offset + 8;
      if (type === PT_SR && length >= 28) {
        srNtpMiddle =
          ((buf.readUInt32BE(offset + 8) & 0xffff) * 0x10000 + (buf.readUInt32BE(offset + 12) >>> 16)) >>> 0;
        blockAt = offset + 28;
      }
      for (let i = 0; i < count && blockAt + 24 <= offset + length; i++, blockAt += 24) {
        if (buf.readUInt32BE(blockAt) !== ourSsrc >>> 0) continue;
        const lostWord = buf.readUInt32BE(blockAt + 4);
        let cumulative = lostWord & 0xffffff;
        if (cumulative & 0x800000) cumulative -= 0x1000000;
        const lsr = buf.readUInt32BE(blockAt + 16);
        const dlsr = buf.readUInt32BE(blockAt + 20);
        const report: RemoteReport = {
          fractionLost: (lostWord >>> 24) / 256,
          cumulativeLost: cumulative,
          jitterMs: buf.readUInt32BE(blockAt + 12) / 8,
        };
        if (lsr !== 0) {
          const { seconds, fraction } = ntpOf(nowWallMs);
          const nowMiddle = ((seconds & 0xffff) * 0x10000 + (fraction >>> 16)) >>> 0;
          const rtt = ((nowMiddle - lsr - dlsr) >>> 0) / 65.536;
          // A wrapped or negative difference means clocks disagree: no figure rather than a wrong one.
          aboutUs = rtt < 60_000 ? { ...report, rttMs: rtt } : report;
        } else {
          aboutUs = report;
        }
      }
    } else if (type === PT_BYE) {
      bye = true;
    }
    offset += length;
  }
  return {
    ...(senderSsrc !== undefined ? { senderSsrc } : {}),
    ...(srNtpMiddle !== undefined ? { srNtpMiddle } : {}),
    ...(aboutUs !== undefined ? { aboutUs } : {}),
    bye,
  };
}

function writeCommon(buf: Buffer, count: number, type: number): void {
  buf[0] = 0x80 | (count & 0x1f);
  buf[1] = type;
  buf.writeUInt16BE(buf.length / 4 - 1, 2);
}

function writeReportBlock(
  buf: Buffer,
  at: number,
  report: ReceptionReport,
  lastSr: LastSenderReport | undefined,
  nowMs: number,
): void {
  buf.writeUInt32BE(report.ssrc >>> 0, at);
  buf.writeUInt32BE(
    (((report.fractionLost & 0xff) << 24) | (report.cumulativeLost & 0xffffff)) >>> 0,
    at + 4,
  );
  buf.writeUInt32BE(report.extendedHighestSeq >>> 0, at + 8);
  buf.writeUInt32BE(report.jitter >>> 0, at + 12);
  buf.writeUInt32BE(lastSr ? lastSr.lsr >>> 0 : 0, at + 16);
  const dlsr = lastSr ? Math.min(0xffffffff, Math.round(((nowMs - lastSr.receivedAtMs) / 1000) * 65536)) : 0;
  buf.writeUInt32BE(dlsr >>> 0, at + 20);
}

function ntpOf(wallClockMs: number): { seconds: number; fraction: number } {
  const secondsFloat = wallClockMs / 1000 + NTP_UNIX_OFFSET;
  const seconds = Math.floor(secondsFloat);
  return { seconds: seconds >>> 0, fraction: Math.floor((secondsFloat - seconds) * 0x100000000) >>> 0 };
}
