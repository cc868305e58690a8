/**
 * What SRTP costs per 20 ms G.711 packet (12-byte header + 160 bytes): µs per packet to protect
 * (AES-CM + HMAC-SHA1 tag) and to unprotect (ROC estimate, replay window, tag check, decrypt), and
 * per SRTCP report, next to building the same plain RTP packet (what every packet costs without
 * SRTP). Pure CPU, one core; `npx tsx bench/srtp-packets.ts [packets]`.
 */
import { performance } from 'node:perf_hooks';
import { freshSrtpKey, SrtpContext, isSrtpDrop, writeRtpHeader } from '../src/media/index.js';

const packets = Number(process.argv[2] ?? 200_000);
const payload = Buffer.alloc(160, 0xd5);

function plainPacket(seq: number): Buffer {
  const packet = Buffer.allocUnsafe(12 + 160);
  payload.copy(packet, 12);
  writeRtpHeader(packet, {
    payloadType: 0,
    sequenceNumber: seq & 0xffff,
    timestamp: seq * 160,
    ssrc: 0x1234,
    marker: false,
  });
  return packet;
}

function perPacketUs(run: (i: number) => unknown): number {
  for (let i = 0; i < 5_000; i++) run(i); // warm-up
  const start = performance.now();
  for (let i = 0; i < packets; i++) run(i);
  return ((performance.now() - start) * 1000) / packets;
}

const key = freshSrtpKey('AES_CM_128_HMAC_SHA1_80');
const baseline = perPacketUs((i) => plainPacket(i));
const sender = new SrtpContext(key);
const protectUs = perPacketUs((i) => sender.protectRtp(plainPacket(i)));
// Unprotect packets protected beforehand, in order, as they arrive.
const source = new SrtpContext(key);
const wire = Array.from({ length: packets + 5_000 }, (_, i) => source.protectRtp(plainPacket(i)));
const receiver = new SrtpContext(key);
let dropped = 0;
let next = 0;
const unprotectUs = perPacketUs(() => {
  const out = receiver.unprotectRtp(wire[next++]!);
  if (isSrtpDrop(out)) dropped++;
});
const report = Buffer.alloc(52, 0);
report.writeUInt32BE(0x80c8000c, 0);
const rtcpUs = perPacketUs(() => sender.protectRtcp(report));

const fmt = (n: number): string => n.toFixed(2);
console.log(`node ${process.version}, ${packets} packets per case, one core`);
console.log(`plain RTP packet built (baseline)   ${fmt(baseline)} µs`);
console.log(
  `  + SRTP protect                    ${fmt(protectUs)} µs  (${(protectUs / baseline).toFixed(1)}x)`,
);
console.log(`SRTP unprotect                      ${fmt(unprotectUs)} µs  (dropped: ${dropped})`);
console.log(`SRTCP protect (52-byte SR)          ${fmt(rtcpUs)} µs`);
// Per call: 50 packets/s each way.
const callCpuPct = ((protectUs - baseline + unprotectUs) * 50) / 1e4;
console.log(`SRTP CPU per call (50 pps each way) ${callCpuPct.toFixed(3)} % of a core`);
console.log(
  `BENCH_RESULT ${JSON.stringify({ bench: 'srtp-packets', packets, baselineUs: baseline, protectUs, unprotectUs, rtcpProtectUs: rtcpUs, callCpuPct })}`,
);
