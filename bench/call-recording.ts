/**
 * What recording costs: CPU of N live RTP sessions (real sockets, the shared 20 ms scheduler,
 * sessions paired so each receives the other's stream) for S seconds, first without recording
 * (the baseline, measured in the same run), then with every session recording `both` to a WAV
 * (G.711 decoded on both directions, interleaved, streamed to disk). Prints CPU per call-second
 * for each, the recorder's share of one core per 100 concurrent calls, and the bytes written.
 *
 * Run: npx tsx bench/call-recording.ts [--calls N] [--seconds S]
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CallRecorder, MediaScheduler, RtpPortPool, RtpSession, encodeG711 } from '../src/media/index.js';

const { values } = parseArgs({
  options: { calls: { type: 'string', default: '100' }, seconds: { type: 'string', default: '10' } },
});
const calls = Number(values.calls);
const seconds = Number(values.seconds);
if (!Number.isInteger(calls) || calls < 2 || calls % 2 !== 0)
  throw new Error('--calls must be an even integer ≥ 2');
if (!Number.isFinite(seconds) || seconds <= 0) throw new Error('--seconds must be positive');

const base = 40000 + Math.floor(Math.random() * 200) * 20;
const pool = await RtpPortPool.open({ address: '127.0.0.1', minPort: base, maxPort: base + calls * 2 + 1 });
const dir = await mkdtemp(join(tmpdir(), 'bench-recording-'));
// A 440 Hz tone as what each side plays, so both channels carry audio to decode.
const tone = new Int16Array(8000 * (seconds + 5));
for (let i = 0; i < tone.length; i++) tone[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000));
const prompt = encodeG711(tone, 'PCMA');

async function run(record: boolean): Promise<{ cpuUs: number; bytes: number; files: number }> {
  const leases = Array.from({ length: calls }, () => pool.lease());
  const sessions = leases.map(
    (lease, i) =>
      new RtpSession({
        lease,
        remote: { address: '127.0.0.1', port: leases[i ^ 1]!.rtpPort },
        codec: { name: 'PCMA', payloadType: 8 },
        deadAfterMs: 0,
        scheduler: MediaScheduler.shared(),
      }),
  );
  const recorders = record
    ? sessions.map((s, i) => new CallRecorder(s, join(dir, `call-${i}.wav`), 'both'))
    : [];
  for (const s of sessions) {
    s.start();
    void s.play(prompt);
  }
  const before = process.cpuUsage();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const results = await Promise.all(recorders.map((r) => r.close()));
  const used = process.cpuUsage(before);
  for (const s of sessions) s.close();
  for (const l of leases) l.release();
  const failed = results.filter((r) => 'error' in r);
  if (failed.length > 0) throw new Error(`${failed.length} recordings failed: ${JSON.stringify(failed[0])}`);
  let bytes = 0;
  for (const name of await readdir(dir)) bytes += (await stat(join(dir, name))).size;
  return { cpuUs: used.user + used.system, bytes, files: results.length };
}

try {
  const baseline = await run(false);
  const recorded = await run(true);
  const callSeconds = calls * seconds;
  const perCallSecond = (us: number): number => us / callSeconds;
  const extraUs = perCallSecond(recorded.cpuUs) - perCallSecond(baseline.cpuUs);
  // Share of one core that 100 concurrent recorded calls add: µs of CPU per second of 100 calls.
  const coreShare100 = (extraUs * 100) / 1e6;
  console.log(`${calls} calls × ${seconds} s, 20 ms PCMA both ways, each side playing a tone`);
  console.log(
    `  baseline (sessions, no recording): ${perCallSecond(baseline.cpuUs).toFixed(1)} µs CPU per call-second`,
  );
  console.log(
    `  recording both channels:           ${perCallSecond(recorded.cpuUs).toFixed(1)} µs CPU per call-second`,
  );
  console.log(
    `  recording adds ${extraUs.toFixed(1)} µs per call-second: ${(coreShare100 * 100).toFixed(2)} % of a core per 100 calls`,
  );
  console.log(
    `  written: ${recorded.files} files, ${(recorded.bytes / 1e6).toFixed(1)} MB (${(recorded.bytes / callSeconds / 1000).toFixed(1)} kB per call-second)`,
  );
  console.log(
    `BENCH_RESULT ${JSON.stringify({
      calls,
      seconds,
      baselineUsPerCallSecond: perCallSecond(baseline.cpuUs),
      recordingUsPerCallSecond: perCallSecond(recorded.cpuUs),
      extraUsPerCallSecond: extraUs,
      coreSharePer100Calls: coreShare100,
      bytes: recorded.bytes,
    })}`,
  );
} finally {
  await pool.close();
  await rm(dir, { recursive: true, force: true });
}
