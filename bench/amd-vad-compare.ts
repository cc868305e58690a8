/**
 * Which voice detector under the call progress analyzer's cadence: our energy gate (the product's)
 * next to WebRTC's VAD (libfvad compiled to WASM, `@echogarden/fvad-wasm`) in its four modes and
 * Silero VAD (the model `@ricky0123/vad-node` ships, run through `onnxruntime-node`), on the
 * corpus of bench/amd-accuracy.ts, in one run. Each detector's per-frame voice/silence replaces
 * the energy gate's (CallProgressAnalyzer's `vad` parameter); every other part, tone exclusion
 * included, is the same. CPU is the detector's own per 20 ms of audio.
 *
 * The model packages are not the project's dependencies (Silero's runtime is about 300 MB and its
 * install script downloads from outside the npm registry), so install them anywhere first:
 *
 *   npm install --prefix /tmp/vads --ignore-scripts @ricky0123/vad-node@0.0.3 @echogarden/fvad-wasm@0.2.0
 *   npx tsx bench/amd-vad-compare.ts --modules /tmp/vads [--only train|held-out]
 *
 * A package that is missing is reported as such and its rows are left out. Needs espeak-ng and
 * sox like bench/amd-accuracy.ts.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { CallProgressAnalyzer, type FrameFeatures, type VoiceGate } from '../src/media/index.js';
import { buildCorpus, SpeechSynth, type CorpusItem, type Split } from '../test/helpers/amd-corpus.js';
import { frames } from '../test/helpers/call-audio.js';

const { values } = parseArgs({
  options: {
    modules: { type: 'string' },
    only: { type: 'string' },
    cache: { type: 'string' },
  },
});
const modules = values.modules;
const synth = new SpeechSynth(values.cache ?? SpeechSynth.defaultCacheDir());

/** A detector that turns one call's samples into one voice flag per 20 ms frame. */
interface FrameLabeller {
  readonly name: string;
  /** Bytes on disk of what it needs installed. */
  readonly installBytes: number;
  labels(pcm: Int16Array): Promise<boolean[]>;
}

/** Replays labels computed beforehand, one per frame, in order; a call progress tone stays no voice. */
class LabelGate implements VoiceGate {
  #next = 0;
  constructor(readonly labels: readonly boolean[]) {}
  isVoice(_f: Readonly<FrameFeatures>, inTone: boolean): boolean {
    return !inTone && (this.labels[this.#next++] ?? false);
  }
}

function bytesUnder(path: string): number {
  const s = statSync(path);
  if (!s.isDirectory()) return s.size;
  return readdirSync(path).reduce((n, name) => n + bytesUnder(join(path, name)), 0);
}

/** The part of the libfvad WASM module this uses (Emscripten exports). */
interface FvadModule {
  HEAP16: Int16Array;
  _malloc(bytes: number): number;
  _fvad_new(): number;
  _fvad_reset(inst: number): void;
  _fvad_set_mode(inst: number, mode: number): number;
  _fvad_set_sample_rate(inst: number, rate: number): number;
  _fvad_process(inst: number, frame: number, length: number): number;
}

async function webrtc(require: NodeJS.Require): Promise<FrameLabeller[]> {
  const entry = require.resolve('@echogarden/fvad-wasm');
  const load = (await import(pathToFileURL(entry).href)) as { default: () => Promise<FvadModule> };
  const m = await load.default();
  const buffer = m._malloc(320);
  const inst = m._fvad_new();
  const installBytes = bytesUnder(dirname(entry));
  return [0, 1, 2, 3].map((mode) => ({
    name: `WebRTC VAD mode ${mode}`,
    installBytes,
    labels: (pcm: Int16Array) => {
      m._fvad_reset(inst);
      m._fvad_set_mode(inst, mode);
      m._fvad_set_sample_rate(inst, 8000);
      const out: boolean[] = [];
      for (const f of frames(pcm)) {
        m.HEAP16.set(f, buffer >> 1);
        out.push(m._fvad_process(inst, buffer, f.length) === 1);
      }
      return Promise.resolve(out);
    },
  }));
}

/** The part of onnxruntime-node this uses. */
interface OrtTensor {
  readonly data: Float32Array;
}
interface Ort {
  Tensor: new (type: string, data: Float32Array | bigint[], dims?: number[]) => OrtTensor;
  InferenceSession: {
    create(
      model: Buffer,
      options: { intraOpNumThreads: number; interOpNumThreads: number },
    ): Promise<{ run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>> }>;
  };
}

/** Silero v4 at 8 kHz takes 256-sample (32 ms) windows and carries its LSTM state along. */
const SILERO_WINDOW = 256;

async function silero(require: NodeJS.Require): Promise<FrameLabeller> {
  const ort = require('onnxruntime-node') as Ort;
  const vadDir = dirname(require.resolve('@ricky0123/vad-node'));
  const session = await ort.InferenceSession.create(readFileSync(join(vadDir, 'silero_vad.onnx')), {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
  });
  const sr = new ort.Tensor('int64', [8000n]);
  const ortDir = dirname(dirname(require.resolve('onnxruntime-node/package.json')));
  return {
    name: 'Silero VAD (onnxruntime-node)',
    installBytes: bytesUnder(join(ortDir, 'onnxruntime-node')) + bytesUnder(dirname(vadDir)),
    labels: async (pcm: Int16Array) => {
      let h = new ort.Tensor('float32', new Float32Array(128), [2, 1, 64]);
      let c = new ort.Tensor('float32', new Float32Array(128), [2, 1, 64]);
      const windows = Math.floor(pcm.length / SILERO_WINDOW);
      const p = new Float32Array(windows);
      for (let w = 0; w < windows; w++) {
        const x = new Float32Array(SILERO_WINDOW);
        for (let i = 0; i < SILERO_WINDOW; i++) x[i] = pcm[w * SILERO_WINDOW + i]! / 32768;
        const r = await session.run({ input: new ort.Tensor('float32', x, [1, SILERO_WINDOW]), h, c, sr });
        h = r['hn']!;
        c = r['cn']!;
        p[w] = r['output']!.data[0]!;
      }
      // vad-node's hysteresis: speech from 0.5 up, until it falls under 0.35.
      const out: boolean[] = [];
      let on = false;
      for (let k = 0; k < Math.ceil(pcm.length / 160); k++) {
        const w = Math.min(windows - 1, Math.floor(((k + 1) * 160 - 1) / SILERO_WINDOW));
        const pr = w >= 0 ? p[w]! : 0;
        on = on ? pr >= 0.35 : pr >= 0.5;
        out.push(on);
      }
      return out;
    },
  };
}

const labellers: FrameLabeller[] = [];
const missing: string[] = [];
if (modules === undefined) {
  missing.push('no --modules DIR given: only the energy gate is measured');
} else {
  const require = createRequire(join(modules, 'package.json'));
  for (const [name, load] of [
    ['@echogarden/fvad-wasm', async () => labellers.push(...(await webrtc(require)))],
    ['@ricky0123/vad-node', async () => labellers.push(await silero(require))],
  ] as const) {
    try {
      await load();
    } catch (error) {
      missing.push(`${name}: ${(error as Error).message.split('\n')[0]}`);
    }
  }
}

interface Row {
  name: string;
  split: Split;
  humanAsMachine: number;
  humans: number;
  right: number;
  items: number;
  humanP50: number;
  cpuUsPerFrame: number;
  installBytes: number;
}

function installed(bytes: number): string {
  if (bytes === 0) return '-';
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${(bytes / 1e3).toFixed(0)} kB`;
}

const corpus = buildCorpus().filter(
  (i) => i.answeredBy !== 'unknown' && (values.only === undefined || i.split === values.only),
);
const audio = new Map<string, Int16Array>();
for (const item of corpus) audio.set(item.id, (await item.render(synth)).pcm);
console.log(`corpus: ${corpus.length} people and machines of bench/amd-accuracy.ts's corpus`);
for (const m of missing) console.log(`  not measured: ${m}`);

const rows: Row[] = [];
const detectors: (FrameLabeller | undefined)[] = [undefined, ...labellers];
for (const split of ['train', 'held-out'] as Split[]) {
  const items = corpus.filter((i) => i.split === split);
  if (items.length === 0) continue;
  for (const d of detectors) {
    let cpuUs = 0;
    let nFrames = 0;
    const results: { item: CorpusItem; result: string; decisionMs: number }[] = [];
    for (const item of items) {
      const pcm = audio.get(item.id)!;
      const cpu = process.cpuUsage();
      let vad: VoiceGate | undefined;
      if (d === undefined) {
        // Ours: the whole analyzer over the whole item (its FFT serves the tone detectors too).
        const a = new CallProgressAnalyzer();
        for (const f of frames(pcm)) a.push(f);
      } else vad = new LabelGate(await d.labels(pcm));
      const used = process.cpuUsage(cpu);
      cpuUs += used.user + used.system;
      nFrames += Math.ceil(pcm.length / 160);
      const a = new CallProgressAnalyzer({}, vad);
      for (const f of frames(pcm)) {
        a.push(f);
        if (a.decision !== undefined) break;
      }
      results.push({
        item,
        result: a.decision?.result ?? 'unknown',
        decisionMs: a.decision?.decisionMs ?? 0,
      });
    }
    const humans = results.filter((r) => r.item.answeredBy === 'human');
    const times = humans
      .filter((r) => r.result === 'human')
      .map((r) => r.decisionMs)
      .sort((x, y) => x - y);
    rows.push({
      name: d?.name ?? 'energy gate (ours, whole analyzer)',
      split,
      humanAsMachine: humans.filter((r) => r.result === 'machine').length,
      humans: humans.length,
      right: results.filter((r) => r.result === r.item.answeredBy).length,
      items: results.length,
      humanP50: times[Math.floor(times.length / 2)] ?? NaN,
      cpuUsPerFrame: cpuUs / nFrames,
      installBytes: d?.installBytes ?? 0,
    });
  }
}

console.log(
  `\n  ${'detector'.padEnd(36)}${'split'.padEnd(10)}${'people as machine'.padStart(20)}${'accuracy'.padStart(18)}${'human p50'.padStart(11)}${'CPU/frame'.padStart(11)}${'% core/100 calls'.padStart(18)}${'installed'.padStart(11)}`,
);
for (const r of rows) {
  console.log(
    `  ${r.name.padEnd(36)}${r.split.padEnd(10)}${`${((100 * r.humanAsMachine) / r.humans).toFixed(1)} % (${r.humanAsMachine}/${r.humans})`.padStart(20)}${`${((100 * r.right) / r.items).toFixed(1)} % (${r.right}/${r.items})`.padStart(18)}${`${r.humanP50} ms`.padStart(11)}${`${r.cpuUsPerFrame.toFixed(1)} µs`.padStart(11)}${`${((r.cpuUsPerFrame / 20_000) * 100 * 100).toFixed(2)} %`.padStart(18)}${installed(r.installBytes).padStart(11)}`,
  );
}
console.log(`BENCH_RESULT ${JSON.stringify({ bench: 'amd-vad-compare', rows, missing })}`);
