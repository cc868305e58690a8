import { writeFile } from 'node:fs/promises';
import { encodeG711 } from '../../src/media/index.js';
import type { G711Codec } from '../../src/media/index.js';

/**
 * A pcap of one RTP stream carrying `pcm` (8 kHz) in 20 ms G.711 packets, 20 ms apart, for sipp's
 * `play_pcap_audio`: it sends each UDP payload to the call's media port at the capture's pace.
 * Ethernet/IPv4/UDP headers are there only to be skipped; their checksums are left zero.
 */
export async function writeRtpPcap(path: string, pcm: Int16Array, codec: G711Codec): Promise<void> {
  const encoded = encodeG711(pcm, codec);
  const payloadType = codec === 'PCMA' ? 8 : 0;
  const chunks: Buffer[] = [];
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65_535, 16);
  header.writeUInt32LE(1, 20); // DLT_EN10MB
  chunks.push(header);
  const ssrc = 0x1234abcd;
  for (let i = 0, seq = 0; i < encoded.length; i += 160, seq++) {
    const payload = Buffer.alloc(160, codec === 'PCMA' ? 0xd5 : 0xff);
    payload.set(encoded.subarray(i, Math.min(encoded.length, i + 160)));
    const rtp = Buffer.alloc(12);
    rtp[0] = 0x80;
    rtp[1] = payloadType | (seq === 0 ? 0x80 : 0);
    rtp.writeUInt16BE(seq & 0xffff, 2);
    rtp.writeUInt32BE((seq * 160) >>> 0, 4);
    rtp.writeUInt32BE(ssrc, 8);
    const udpLength = 8 + 12 + 160;
    const frame = Buffer.alloc(14 + 20 + udpLength);
    frame.writeUInt16BE(0x0800, 12);
    const ip = 14;
    frame[ip] = 0x45;
    frame.writeUInt16BE(20 + udpLength, ip + 2);
    frame[ip + 8] = 64;
    frame[ip + 9] = 17;
    Buffer.from([127, 0, 0, 1]).copy(frame, ip + 12);
    Buffer.from([127, 0, 0, 1]).copy(frame, ip + 16);
    const udp = ip + 20;
    frame.writeUInt16BE(40_000, udp);
    frame.writeUInt16BE(40_002, udp + 2);
    frame.writeUInt16BE(udpLength, udp + 4);
    rtp.copy(frame, udp + 8);
    payload.copy(frame, udp + 20);
    const record = Buffer.alloc(16);
    const us = seq * 20_000;
    record.writeUInt32LE(Math.floor(us / 1_000_000), 0);
    record.writeUInt32LE(us % 1_000_000, 4);
    record.writeUInt32LE(frame.length, 8);
    record.writeUInt32LE(frame.length, 12);
    chunks.push(record, frame);
  }
  await writeFile(path, Buffer.concat(chunks));
}
