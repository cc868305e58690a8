/**
 * Accuracy and cost of the call progress analyzer (src/media/analysis) on a generated corpus,
 * next to Asterisk app_amd's algorithm with its defaults on the same audio in the same run.
 *
 * Run: npx tsx bench/amd-accuracy.ts [--cache DIR] [--options '{"maxWords":3}'] [--only train|held-out] [--show-errors] [--curve] [--rate-scale 1.35]
 *
 * Needs espeak-ng and sox (apt-get install espeak-ng sox). The corpus (test/helpers/amd-corpus.ts)
 * is rendered once into the cache directory ($TMPDIR/sip-dialer-amd-corpus by default) and reused.
 * Figures are reported for the training split (what the defaults were tuned on) and the held-out
 * split (phrases, voices and beeps never used for tuning): trust the held-out ones. `--curve`
 * adds the trade-off of the after-greeting silences: people's decision time against people
 * taken for machines and machines taken for people, one row per setting, on both splits.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import {
  CallProgressAnalyzer,
  type CallProgressEvent,
  type CallProgressOptions,
} from '../src/media/index.js';
import {
  buildCorpus,
  SpeechSynth,
  type CorpusItem,
  type RenderedItem,
  type Split,
} from '../test/helpers/amd-corpus.js';
import { AppAmdBaseline } from '../test/helpers/app-amd-baseline.js';
import { frames } from '../test/helpers/call-audio.js';

const { values } = parseArgs({
  options: {
    cache: { type: 'string' },
    options: { type: 'string' },
    only: { type: 'string' },
    'show-errors': { type: 'boolean', default: false },
    curve: { type: 'boolean', default: false },
    'rate-scale': { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '4' },
  },
});
const overrides = (values.options ? JSON.parse(values.options) : {}) as Partial<CallProgressOptions>;
const synth = new SpeechSynth(values.cache ?? SpeechSynth.defaultCacheDir());

type Label = 'human' | 'machine' | 'unknown';
const LABELS: readonly Label[] = ['human', 'machine', 'unknown'];
/** A found beep must start within this of the true start. */
const BEEP_TOLERANCE_MS = 100;

interface Outcome {
  readonly item: CorpusItem;
  readonly beepAtMs: number | undefined;
  readonly speechEndMs: number | undefined;
  readonly result: Label;
  readonly reason: string;
  readonly decisionMs: number;
  readonly beeps: number[];
  readonly sit: string | undefined;
  readonly cpuMs: number;
  readonly frames: number;
}

async function renderAll(items: CorpusItem[]): Promise<Map<string, RenderedItem>> {
  const out = new Map<string, RenderedItem>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++]!;
      out.set(item.id, await item.render(synth));
    }
  };
  await Promise.all(Array.from({ length: Number(values.concurrency) }, worker));
  return out;
}

function runOurs(
  item: CorpusItem,
  { pcm, beepAtMs, speechEndMs }: RenderedItem,
  options: Partial<CallProgressOptions> = overrides,
): Outcome {
  const analyzer = new CallProgressAnalyzer(options);
  const events: CallProgressEvent[] = [];
  let n = 0;
  const cpu = process.cpuUsage();
  for (const f of frames(pcm)) {
    n++;
    for (const e of analyzer.push(f)) events.push(e);
    if (analyzer.done) break;
  }
  for (const e of analyzer.flush()) events.push(e);
  const used = process.cpuUsage(cpu);
  const d = events.find((e) => e.type === 'decision');
  const sit = events.find((e) => e.type === 'sit');
  return {
    item,
    beepAtMs,
    speechEndMs,
    result: d?.result ?? 'unknown',
    reason: d?.reason ?? 'none',
    decisionMs: d?.decisionMs ?? pcm.length / 8,
    beeps: events.flatMap((e) => (e.type === 'beep' ? [e.atMs] : [])),
    sit: sit?.sit,
    cpuMs: (used.user + used.system) / 1000,
    frames: n,
  };
}

function runBaseline(item: CorpusItem, { pcm, beepAtMs, speechEndMs }: RenderedItem): Outcome {
  const amd = new AppAmdBaseline();
  let n = 0;
  const cpu = process.cpuUsage();
  for (const f of frames(pcm)) {
    n++;
    if (amd.push(f)) break;
  }
  const used = process.cpuUsage(cpu);
  const r = amd.result;
  const result: Label = r?.status === 'HUMAN' ? 'human' : r?.status === 'MACHINE' ? 'machine' : 'unknown';
  return {
    item,
    beepAtMs,
    speechEndMs,
    result,
    reason: r?.cause ?? 'none',
    decisionMs: r?.decisionMs ?? pcm.length / 8,
    beeps: [],
    sit: undefined,
    cpuMs: (used.user + used.system) / 1000,
    frames: n,
  };
}

function pct(n: number, d: number): string {
  return d === 0 ? 'n/a' : `${((100 * n) / d).toFixed(1)} % (${n}/${d})`;
}

function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

interface Figures {
  readonly humanAsMachine: number;
  readonly accuracy: number;
  readonly humanP50: number;
  readonly humanP95: number;
  readonly humanAfterSpeechP50: number;
  readonly speechEndP50: number;
  readonly machineP50: number;
  readonly machineP95: number;
  readonly beepFound: number;
  readonly falseBeepsRingback: number;
  readonly falseBeepsOther: number;
  readonly sitRight: number;
  readonly cpuUsPerFrame: number;
  /** The robust figure: least CPU per frame of several passes over the split. */
  readonly cpuUsPerFrameLeast?: number;
}

function report(name: string, outcomes: Outcome[], hasTones: boolean): Figures {
  console.log(`\n  ${name}`);
  const matrix = new Map<string, number>();
  for (const o of outcomes)
    matrix.set(`${o.item.answeredBy}>${o.result}`, (matrix.get(`${o.item.answeredBy}>${o.result}`) ?? 0) + 1);
  console.log(`    confusion (rows: truth, columns: answer)   ${LABELS.map((l) => l.padStart(8)).join('')}`);
  for (const t of LABELS) {
    console.log(
      `    ${t.padEnd(42)}${LABELS.map((l) => String(matrix.get(`${t}>${l}`) ?? 0).padStart(8)).join('')}`,
    );
  }
  const humans = outcomes.filter((o) => o.item.answeredBy === 'human');
  const machines = outcomes.filter((o) => o.item.answeredBy === 'machine');
  const hm = [...humans, ...machines];
  const humanAsMachine = humans.filter((o) => o.result === 'machine').length;
  const right = hm.filter((o) => o.result === o.item.answeredBy).length;
  const allRight = outcomes.filter((o) => o.result === o.item.answeredBy).length;
  console.log(`    live people classed as machine            ${pct(humanAsMachine, humans.length)}`);
  console.log(`    accuracy, people and machines             ${pct(right, hm.length)}`);
  console.log(`    accuracy, all items (nobody/SIT: unknown) ${pct(allRight, outcomes.length)}`);
  const hT = humans.filter((o) => o.result === 'human').map((o) => o.decisionMs);
  const mT = machines.filter((o) => o.result === 'machine').map((o) => o.decisionMs);
  console.log(
    `    decision time, people rightly human       p50 ${quantile(hT, 0.5)} ms  p95 ${quantile(hT, 0.95)} ms`,
  );
  // People with no ringback or music before them: the answer is when they picked up.
  const plainT = humans
    .filter((o) => o.result === 'human' && o.item.category === 'human')
    .map((o) => o.decisionMs);
  console.log(
    `      of which nothing before the person      p50 ${quantile(plainT, 0.5)} ms  p95 ${quantile(plainT, 0.95)} ms (${plainT.length} people)`,
  );
  // From the end of the person's first utterance: what the analyzer adds to the time they took.
  const hAfter = humans
    .filter((o) => o.result === 'human' && o.speechEndMs !== undefined)
    .map((o) => o.decisionMs - o.speechEndMs!);
  console.log(
    `      of which after the person stopped       p50 ${quantile(hAfter, 0.5)} ms  p95 ${quantile(hAfter, 0.95)} ms`,
  );
  // The floor under any decision that waits for the person to stop: when they stop, from the
  // answer (ringback or music before them included).
  const speechEnds = humans.flatMap((o) => (o.speechEndMs !== undefined ? [o.speechEndMs] : []));
  console.log(
    `      people stop speaking, from the answer   p50 ${quantile(speechEnds, 0.5)} ms  p95 ${quantile(speechEnds, 0.95)} ms (${pct(speechEnds.filter((e) => e > 1500).length, speechEnds.length)} still speaking at 1500 ms)`,
  );
  console.log(
    `    decision time, machines rightly machine   p50 ${quantile(mT, 0.5)} ms  p95 ${quantile(mT, 0.95)} ms`,
  );
  const withBeep = outcomes.filter((o) => o.item.hasBeep);
  const found = withBeep.filter((o) =>
    o.beeps.some((b) => Math.abs(b - o.beepAtMs!) <= BEEP_TOLERANCE_MS),
  ).length;
  const ringback = outcomes.filter(
    (o) => o.item.category === 'ringback-only' || o.item.category === 'human-after-ringback',
  );
  const falseRing = ringback.filter((o) => o.beeps.length > 0).length;
  const other = outcomes.filter((o) => !o.item.hasBeep && !ringback.includes(o));
  const falseOther = other.filter((o) => o.beeps.length > 0).length;
  const sits = outcomes.filter((o) => o.item.sit !== undefined);
  const sitRight = sits.filter((o) => o.sit === o.item.sit).length;
  const falseSit = outcomes.filter((o) => o.item.sit === undefined && o.sit !== undefined).length;
  if (hasTones) {
    console.log(
      `    beep found (start within ${BEEP_TOLERANCE_MS} ms)            ${pct(found, withBeep.length)}`,
    );
    console.log(`    false beeps on ringback                   ${pct(falseRing, ringback.length)}`);
    console.log(`    false beeps elsewhere (no beep in audio)  ${pct(falseOther, other.length)}`);
    console.log(
      `    SIT class right                           ${pct(sitRight, sits.length)}; SIT where none: ${falseSit}`,
    );
  } else {
    console.log('    beep, SIT                                 none (app_amd has neither)');
  }
  const categories = [...new Set(outcomes.map((o) => o.item.category))];
  console.log(
    `    right by category                         ${categories
      .map((c) => {
        const of = outcomes.filter((o) => o.item.category === c);
        return `${c} ${of.filter((o) => o.result === o.item.answeredBy).length}/${of.length}`;
      })
      .join(', ')}`,
  );
  const cpu = outcomes.reduce((s, o) => s + o.cpuMs, 0);
  const nFrames = outcomes.reduce((s, o) => s + o.frames, 0);
  const usPerFrame = (cpu * 1000) / nFrames;
  console.log(
    `    CPU per analysed call, one pass           ${(cpu / outcomes.length).toFixed(2)} ms (${(nFrames / outcomes.length).toFixed(0)} frames), ${usPerFrame.toFixed(1)} µs per 20 ms frame = ${((usPerFrame / 20000) * 100 * 100).toFixed(2)} % of a core per 100 calls`,
  );
  if (values['show-errors']) {
    for (const o of outcomes) {
      const wrong =
        o.result !== o.item.answeredBy ||
        (o.item.hasBeep && !o.beeps.some((b) => Math.abs(b - o.beepAtMs!) <= BEEP_TOLERANCE_MS)) ||
        (hasTones && !o.item.hasBeep && o.beeps.length > 0) ||
        (hasTones && o.item.sit !== o.sit);
      if (wrong) {
        console.log(
          `      ✗ ${o.item.id} ${o.item.description} snr=${o.item.snrDb ?? 'clean'}: ${o.result}/${o.reason} at ${o.decisionMs} ms, beeps [${o.beeps.join(',')}] want ${o.beepAtMs ?? '-'}, sit ${o.sit ?? '-'} want ${o.item.sit ?? '-'}`,
        );
      }
    }
  }
  return {
    humanAsMachine: humans.length ? humanAsMachine / humans.length : 0,
    accuracy: hm.length ? right / hm.length : 0,
    humanP50: quantile(hT, 0.5),
    humanP95: quantile(hT, 0.95),
    humanAfterSpeechP50: quantile(hAfter, 0.5),
    speechEndP50: quantile(speechEnds, 0.5),
    machineP50: quantile(mT, 0.5),
    machineP95: quantile(mT, 0.95),
    beepFound: withBeep.length ? found / withBeep.length : 0,
    falseBeepsRingback: falseRing,
    falseBeepsOther: falseOther,
    sitRight: sits.length ? sitRight / sits.length : 0,
    cpuUsPerFrame: usPerFrame,
  };
}

const rateScale = Number(values['rate-scale']);
if (!(rateScale > 0)) throw new Error(`--rate-scale must be a number above 0, not ${values['rate-scale']}`);
const corpus = buildCorpus({ rateScale }).filter((i) => values.only === undefined || i.split === values.only);
const t0 = performance.now();
const audio = await renderAll(corpus);
const counts = new Map<string, number>();
for (const i of corpus)
  counts.set(`${i.split} ${i.category}`, (counts.get(`${i.split} ${i.category}`) ?? 0) + 1);
console.log(
  `corpus: ${corpus.length} items, rendered or read from cache in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
);
console.log(`  ${[...counts].map(([k, v]) => `${k}: ${v}`).join(', ')}`);
if (rateScale !== 1) console.log(`speaking rate: ${rateScale} × the corpus's (--rate-scale)`);
console.log(
  `ours: CallProgressAnalyzer with ${Object.keys(overrides).length ? JSON.stringify(overrides) : 'its defaults'}`,
);
console.log('baseline: app_amd algorithm with its defaults (test/helpers/app-amd-baseline.ts)');

// Warm the JIT on a few items so the first split does not pay for compilation.
for (const item of corpus.slice(0, 10)) runOurs(item, audio.get(item.id)!);

/** Passes over a split for the CPU figure; the least CPU of them is the one reported. */
const CPU_PASSES = 7;

/**
 * CPU per 20 ms frame of `analyse` over `items`, robust to a noisy shared machine: the frames are
 * cut beforehand (so only the analysis is timed), each pass runs every item as the accuracy run
 * does (until the analyzer is done), process.cpuUsage brackets a whole pass (not one call, whose
 * few hundred µs its granularity and the syscall would blur), and of several passes the least
 * is kept: other load only ever adds to it.
 */
function cpuPerFrame(items: CorpusItem[], analyse: (frames: readonly Int16Array[]) => number): number {
  const cut = items.map((i) => [...frames(audio.get(i.id)!.pcm)]);
  let best = Infinity;
  let nFrames = 0;
  for (let pass = 0; pass < CPU_PASSES; pass++) {
    nFrames = 0;
    const cpu = process.cpuUsage();
    for (const f of cut) nFrames += analyse(f);
    const used = process.cpuUsage(cpu);
    best = Math.min(best, used.user + used.system);
  }
  return best / nFrames;
}

function analyseOurs(frames: readonly Int16Array[]): number {
  const analyzer = new CallProgressAnalyzer(overrides);
  let n = 0;
  for (const f of frames) {
    n++;
    analyzer.push(f);
    if (analyzer.done) break;
  }
  analyzer.flush();
  return n;
}

function analyseBaseline(frames: readonly Int16Array[]): number {
  const amd = new AppAmdBaseline();
  let n = 0;
  for (const f of frames) {
    n++;
    if (amd.push(f)) break;
  }
  return n;
}

function printCpu(name: string, usPerFrame: number): void {
  console.log(
    `    CPU per 20 ms frame, least of ${CPU_PASSES} passes  ${name.padEnd(10)} ${usPerFrame.toFixed(2)} µs = ${(((usPerFrame * 50 * 100) / 1e6) * 100).toFixed(2)} % of a core per 100 calls`,
  );
}

const result: Record<string, Figures> = {};
for (const split of ['train', 'held-out'] as Split[]) {
  const items = corpus.filter((i) => i.split === split);
  if (items.length === 0) continue;
  console.log(`\n== ${split} (${items.length} items) ==`);
  const ours = items.map((i) => runOurs(i, audio.get(i.id)!));
  const base = items.map((i) => runBaseline(i, audio.get(i.id)!));
  const oursCpu = cpuPerFrame(items, analyseOurs);
  const baseCpu = cpuPerFrame(items, analyseBaseline);
  result[`${split}.ours`] = { ...report('ours', ours, true), cpuUsPerFrameLeast: oursCpu };
  printCpu('ours', oursCpu);
  result[`${split}.baseline`] = { ...report('baseline: app_amd', base, false), cpuUsPerFrameLeast: baseCpu };
  printCpu('app_amd', baseCpu);
}
/**
 * The silences that make a person of a greeting, each moved alone from the defaults (and both
 * together, the flat rule app_amd has): what each buys in people's decision time and costs in
 * machines taken for people. The first word of a greeting ("Hello, … ") can be followed by as
 * long a pause as the silence that makes a person of "Hello?", so no row is free.
 */
const CURVE: readonly Partial<CallProgressOptions>[] = [
  ...[200, 250, 300, 350, 400, 450, 500].map((ms) => ({ afterGreetingSilenceMs: ms })),
  ...[500, 600, 800].map((ms) => ({ afterLongGreetingSilenceMs: ms })),
  ...[300, 450].map((ms) => ({ afterGreetingSilenceMs: ms, afterLongGreetingSilenceMs: ms })),
];

const curve: Record<string, unknown>[] = [];
if (values.curve) {
  console.log(
    `\n== trade-off: people's decision p50 / p95 (rightly human), people as machine, machines as human; on top of ${Object.keys(overrides).length ? JSON.stringify(overrides) : 'the defaults'} ==`,
  );
  for (const point of CURVE) {
    const options = { ...overrides, ...point };
    const cells: string[] = [];
    const row: Record<string, unknown> = { options: point };
    for (const split of ['train', 'held-out'] as Split[]) {
      const items = corpus.filter((i) => i.split === split);
      if (items.length === 0) continue;
      const outs = items.map((i) => runOurs(i, audio.get(i.id)!, options));
      const humans = outs.filter((o) => o.item.answeredBy === 'human');
      const machines = outs.filter((o) => o.item.answeredBy === 'machine');
      const t = humans.filter((o) => o.result === 'human').map((o) => o.decisionMs);
      const humanAsMachine = humans.filter((o) => o.result === 'machine').length;
      const machineAsHuman = machines.filter((o) => o.result === 'human').length;
      cells.push(
        `${split} ${quantile(t, 0.5)} / ${quantile(t, 0.95)} ms, ${humanAsMachine}/${humans.length}, ${machineAsHuman}/${machines.length}`,
      );
      row[split] = {
        humanP50: quantile(t, 0.5),
        humanP95: quantile(t, 0.95),
        humanAsMachine,
        machineAsHuman,
      };
    }
    curve.push(row);
    console.log(`  ${JSON.stringify(point).padEnd(68)} ${cells.join('   ')}`);
  }
}

console.log(
  '\ngoals: live people as machine <= 2 %, accuracy >= 95 %, human p50 <= 1500 ms, beep found >= 98 %, 0 false beeps on ringback',
);
console.log(
  `BENCH_RESULT ${JSON.stringify({ bench: 'amd-accuracy', options: overrides, ...(rateScale !== 1 ? { rateScale } : {}), ...result, ...(values.curve ? { curve } : {}) })}`,
);
