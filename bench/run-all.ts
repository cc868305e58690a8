/**
 * Runs every benchmark in bench/ one after another, each as its own child process with modest
 * sizes (a few minutes in all), and prints one summary: each figure next to the baseline its
 * script measured in the same run, and the ratio. The same table goes to bench/results/latest.md.
 *
 * Run: npm run bench   (or: npx tsx bench/run-all.ts [--only name,name])
 *
 * Each script ends with one `BENCH_RESULT {json}` line; that line is all this file reads.
 */
import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(BENCH_DIR);
const RESULTS = path.join(BENCH_DIR, 'results', 'latest.md');

/** One line of the summary. `baseline` and `ratio` are empty for figures without one. */
interface Row {
  readonly bench: string;
  readonly figure: string;
  readonly value: string;
  readonly baseline: string;
  readonly baselineValue: string;
  readonly ratio: string;
  readonly goal: string;
}

/** A benchmark: its arguments here, and how its BENCH_RESULT becomes rows. */
interface Entry {
  readonly script: string;
  readonly args: readonly string[];
  readonly rows: (result: Record<string, unknown>) => Row[];
}

// Results are JSON from our own scripts; these readers only guard against a missing field.
type Json = Record<string, unknown>;
const obj = (value: unknown): Json => (typeof value === 'object' && value !== null ? (value as Json) : {});
const num = (value: unknown): number => (typeof value === 'number' ? value : Number.NaN);

const rate = (n: number): string =>
  Number.isFinite(n) ? Math.round(n).toLocaleString('en-US').replace(/,/g, ' ') : '–';
const millis = (n: number): string => (Number.isFinite(n) ? (n < 10 ? n.toFixed(2) : n.toFixed(1)) : '–');
/** Whole milliseconds (full-path latencies are differences of two `Date.now()`). */
const wholeMs = (n: number): string => (Number.isFinite(n) ? n.toFixed(0) : '–');
const times = (a: number, b: number): string =>
  Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? `${(a / b).toFixed(2)}×` : '–';
const met = (ok: unknown): string => (ok === true ? 'met' : ok === false ? 'NOT met' : '');

const SUITE: readonly Entry[] = [
  {
    script: 'parse-messages',
    args: ['1'],
    rows: (r) =>
      (Array.isArray(r.cases) ? r.cases : []).map((c: unknown) => {
        const k = obj(c);
        return {
          bench: 'parse-messages',
          figure: `parseMessage msgs/s, ${String(k.kind)}`,
          value: rate(num(k.parseMsgsPerSecond)),
          baseline: 'decode + split lines only',
          baselineValue: rate(num(k.splitMsgsPerSecond)),
          ratio: times(num(k.parseMsgsPerSecond), num(k.splitMsgsPerSecond)),
          goal: '',
        };
      }),
  },
  {
    script: 'engine-calls',
    args: ['--calls', '3000', '--warmup', '300'],
    rows: (r) => {
      const engine = obj(r.engine);
      const baseline = obj(r.baseline);
      const setup = obj(engine.setupMs);
      const baseSetup = obj(baseline.setupMs);
      const judged = r.goalMet === null ? '' : `≥ 2000 calls/s, setup p99 < 20 ms: ${met(r.goalMet)}`;
      return [
        {
          bench: 'engine-calls',
          figure: `embedded engine calls/s (${String(r.concurrency)} in flight)`,
          value: rate(num(engine.callsPerSecond)),
          baseline: 'sipp uac → same sipp uas',
          baselineValue: rate(num(baseline.callsPerSecond)),
          ratio: times(num(engine.callsPerSecond), num(baseline.callsPerSecond)),
          goal: judged,
        },
        ...(r.drachtio !== null && r.drachtio !== undefined
          ? [
              {
                bench: 'engine-calls',
                figure: `drachtio engine calls/s (${String(r.concurrency)} in flight)`,
                value: rate(num(obj(r.drachtio).callsPerSecond)),
                baseline: 'sipp uac → same sipp uas',
                baselineValue: rate(num(baseline.callsPerSecond)),
                ratio: times(num(obj(r.drachtio).callsPerSecond), num(baseline.callsPerSecond)),
                goal: '',
              },
            ]
          : []),
        {
          bench: 'engine-calls',
          figure: 'call setup p99 ms',
          value: millis(num(setup.p99)),
          baseline: 'sipp uac (whole ms)',
          baselineValue: millis(num(baseSetup.p99)),
          ratio: '',
          goal: '',
        },
      ];
    },
  },
  {
    script: 'full-path',
    args: ['--calls', '3000', '--warmup', '200'],
    rows: (r) => {
      const latency = obj(r.dequeueToInviteMs);
      const saturated = obj(obj(latency.saturated).total);
      const pacedRun = obj(latency.paced);
      const paced = obj(pacedRun.total);
      const goals = obj(r.goalsMet);
      const rows: Row[] = [
        {
          bench: 'full-path',
          figure: 'full path calls/s (enqueue → answered → BYE → outcome)',
          value: rate(num(r.fullCallsPerSecond)),
          baseline: 'bare engine → same sipp uas',
          baselineValue: rate(num(r.bareCallsPerSecond)),
          ratio: times(num(r.fullCallsPerSecond), num(r.bareCallsPerSecond)),
          goal: `≥ 0.5×: ${met(goals.ratio)}`,
        },
        {
          bench: 'full-path',
          figure: `dequeue → INVITE p50 / p99 ms, saturated (${String(r.concurrency)} in flight)`,
          value: `${wholeMs(num(saturated.p50))} / ${wholeMs(num(saturated.p99))}`,
          baseline: '',
          baselineValue: '',
          ratio: '',
          goal: `p99 < 5 ms: ${met(goals.dequeueToInviteP99Saturated)}`,
        },
        {
          bench: 'full-path',
          figure: 'Redis commands / CPU µs per call (INFO commandstats / INFO cpu)',
          value: `${num(r.redisCommandsPerCall).toFixed(1)} / ${num(r.redisInfoCpuUsPerCall).toFixed(0)}`,
          baseline: '',
          baselineValue: '',
          ratio: '',
          goal: '≤ 30 / ≤ 250',
        },
      ];
      if (latency.paced !== null && latency.paced !== undefined)
        rows.push({
          bench: 'full-path',
          figure: `dequeue → INVITE p50 / p99 ms, paced at ${String(pacedRun.rate)} calls/s`,
          value: `${wholeMs(num(paced.p50))} / ${wholeMs(num(paced.p99))}`,
          baseline: '',
          baselineValue: '',
          ratio: '',
          goal: `p99 < 5 ms: ${met(goals.dequeueToInviteP99Paced)}`,
        });
      return rows;
    },
  },
  {
    script: 'carrier-limit',
    args: ['--seconds', '30'],
    rows: (r) => {
      const learned = obj(r.learned);
      const baseline = obj(r.baseline);
      const limits = `trunk cps ${String(r.configuredCps)}, carrier ${String(r.carrierCps)}`;
      return [
        {
          bench: 'carrier-limit',
          figure: `calls/s after 10 s (${limits})`,
          value: num(learned.callsPerSecondAfterSettle).toFixed(2),
          baseline: 'halve on each 503',
          baselineValue: num(baseline.callsPerSecondAfterSettle).toFixed(2),
          ratio: times(num(learned.callsPerSecondAfterSettle), num(baseline.callsPerSecondAfterSettle)),
          goal: `≥ 4.5 calls/s, 503 < 2 %: ${met(r.goalMet)}`,
        },
        {
          bench: 'carrier-limit',
          figure: '503 % of INVITEs after 10 s',
          value: num(learned.refusedPctAfterSettle).toFixed(1),
          baseline: 'halve on each 503',
          baselineValue: num(baseline.refusedPctAfterSettle).toFixed(1),
          ratio: '',
          goal: '',
        },
      ];
    },
  },
  {
    script: 'call-recording',
    args: ['--calls', '100', '--seconds', '10'],
    rows: (r) => [
      {
        bench: 'call-recording',
        figure: `µs CPU per call-second, recording both channels (${String(r.calls)} calls)`,
        value: millis(num(r.recordingUsPerCallSecond)),
        baseline: 'the same RTP sessions, not recorded',
        baselineValue: millis(num(r.baselineUsPerCallSecond)),
        ratio: times(num(r.recordingUsPerCallSecond), num(r.baselineUsPerCallSecond)),
        goal: '',
      },
    ],
  },
  {
    script: 'srtp-packets',
    args: ['100000'],
    rows: (r) => [
      {
        bench: 'srtp-packets',
        figure: 'µs per 172-byte RTP packet, SRTP protect (AES-CM + HMAC-SHA1-80)',
        value: millis(num(r.protectUs)),
        baseline: 'building the plain RTP packet',
        baselineValue: millis(num(r.baselineUs)),
        ratio: times(num(r.protectUs), num(r.baselineUs)),
        goal: '',
      },
      {
        bench: 'srtp-packets',
        figure: 'µs per packet, SRTP unprotect (ROC, replay window, tag, decrypt)',
        value: millis(num(r.unprotectUs)),
        baseline: 'building the plain RTP packet',
        baselineValue: millis(num(r.baselineUs)),
        ratio: times(num(r.unprotectUs), num(r.baselineUs)),
        goal: '',
      },
    ],
  },
  {
    script: 'campaign-import',
    args: ['1000000'],
    rows: (r) => {
      const imported = obj(r.import);
      const baseline = obj(r.baseline);
      const rowsPerSecond = num(imported.rowsPerSecond);
      return [
        {
          bench: 'campaign-import',
          figure: `import rows/s (${rate(num(r.rows))} rows)`,
          value: rate(rowsPerSecond),
          baseline: 'read the same file line by line',
          baselineValue: rate(num(baseline.rowsPerSecond)),
          ratio: times(rowsPerSecond, num(baseline.rowsPerSecond)),
          goal: `≥ 50 000 rows/s: ${met(Number.isFinite(rowsPerSecond) ? rowsPerSecond >= 50_000 : undefined)}`,
        },
        {
          bench: 'campaign-import',
          figure: 'peak RSS growth MB',
          value: millis(num(imported.peakRssGrowthMb)),
          baseline: 'line-by-line read',
          baselineValue: millis(num(baseline.peakRssGrowthMb)),
          ratio: '',
          goal: '',
        },
      ];
    },
  },
];

/**
 * Rows for a bench this file has no entry for: every number in its BENCH_RESULT, by path. A
 * `baseline` object beside figures gives the baseline of the figure of the same name; array
 * items are named by their `mode` or `name` when they have one.
 */
function genericRows(script: string, result: Json): Row[] {
  const rows: Row[] = [];
  const walk = (value: unknown, label: string, baseline: Json | undefined): void => {
    if (typeof value === 'number') {
      const key = label.split('.').pop() ?? '';
      const base = baseline?.[key];
      rows.push({
        bench: script,
        figure: label,
        value: millis(value),
        baseline: typeof base === 'number' ? 'baseline' : '',
        baselineValue: typeof base === 'number' ? millis(base) : '',
        ratio: typeof base === 'number' ? times(value, base) : '',
        goal: '',
      });
      return;
    }
    if (Array.isArray(value)) {
      value.forEach((item, i) => {
        const o = obj(item);
        const name = typeof o.mode === 'string' ? o.mode : typeof o.name === 'string' ? o.name : String(i);
        walk(item, `${label}[${name}]`, undefined);
      });
      return;
    }
    if (typeof value !== 'object' || value === null) return;
    const o = value as Json;
    const base = typeof o.baseline === 'object' && o.baseline !== null ? (o.baseline as Json) : undefined;
    for (const [k, v] of Object.entries(o)) {
      if (k === 'bench' || k === 'baseline') continue;
      walk(v, label ? `${label}.${k}` : k, base);
    }
  };
  walk(result, '', undefined);
  return rows;
}

interface Outcome {
  readonly entry: Entry;
  readonly command: string;
  readonly code: number | null;
  readonly seconds: number;
  readonly result: Json | undefined;
}

/** Runs one script, echoing its output, and keeps its last BENCH_RESULT line. */
async function run(entry: Entry): Promise<Outcome> {
  const file = path.join('bench', `${entry.script}.ts`);
  const command = `npx tsx ${file} ${entry.args.join(' ')}`.trimEnd();
  console.log(`\n=== ${command}`);
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', file, ...entry.args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let result: Json | undefined;
  let pending = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    process.stdout.write(chunk);
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.startsWith('BENCH_RESULT ')) continue;
      try {
        result = obj(JSON.parse(line.slice('BENCH_RESULT '.length)));
      } catch {
        console.error(`run-all: ${entry.script} printed a BENCH_RESULT line that is not JSON`);
      }
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => process.stderr.write(chunk));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (exitCode) => resolve(exitCode));
  });
  return { entry, command, code, seconds: (performance.now() - started) / 1000, result };
}

function machine(): string[] {
  const cpus = os.cpus();
  return [
    `CPU: ${cpus[0]?.model ?? '?'}, ${cpus.length} cores (${os.arch()})`,
    `Node ${process.version}, ${os.type()} ${os.release()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM`,
    `load average before the run: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  ];
}

function markdownTable(rows: readonly Row[]): string {
  const header = ['benchmark', 'figure', 'value', 'baseline (same run)', 'baseline value', 'ratio', 'goal'];
  const cells = rows.map((r) => [r.bench, r.figure, r.value, r.baseline, r.baselineValue, r.ratio, r.goal]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  const numeric = new Set([2, 4, 5]);
  const line = (c: readonly string[]): string =>
    `| ${c.map((v, i) => (numeric.has(i) ? v.padStart(widths[i] ?? 0) : v.padEnd(widths[i] ?? 0))).join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (numeric.has(i) ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`;
  return [line(header), rule, ...cells.map(line)].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { only: { type: 'string' } }, strict: true });
  const only = values.only?.split(',').map((name) => name.trim());
  const known = new Set([...SUITE.map((e) => `${e.script}.ts`), 'run-all.ts']);
  const candidates = (await readdir(BENCH_DIR)).filter((f) => f.endsWith('.ts') && !known.has(f));
  // A script that prints BENCH_RESULT and has no entry above still runs, with its defaults.
  const extra: Entry[] = [];
  const unlisted: string[] = [];
  for (const f of candidates) {
    if ((await readFile(path.join(BENCH_DIR, f), 'utf8')).includes('BENCH_RESULT')) {
      const script = f.slice(0, -3);
      extra.push({ script, args: [], rows: (r) => genericRows(script, r) });
    } else unlisted.push(f);
  }
  const unknown = only?.filter((name) => ![...SUITE, ...extra].some((e) => e.script === name)) ?? [];
  if (unknown.length > 0) throw new Error(`--only: no benchmark named ${unknown.join(', ')}`);

  const about = machine();
  const started = new Date();
  const outcomes: Outcome[] = [];
  for (const entry of [...SUITE, ...extra].filter((e) => !only || only.includes(e.script)))
    outcomes.push(await run(entry));

  const rows = outcomes.flatMap((o): Row[] =>
    o.result && o.code === 0
      ? o.entry.rows(o.result)
      : [
          {
            bench: o.entry.script,
            figure: o.code === 0 ? 'no BENCH_RESULT line' : `FAILED (exit ${String(o.code)})`,
            value: '–',
            baseline: '',
            baselineValue: '',
            ratio: '',
            goal: '',
          },
        ],
  );
  const table = markdownTable(rows);
  const commands = outcomes.map(
    (o) => `- \`${o.command}\` (${o.seconds.toFixed(0)} s, exit ${String(o.code)})`,
  );
  const notes = unlisted.map((f) => `- not run: bench/${f} (prints no BENCH_RESULT line)`);
  const markdown = [
    `# Benchmarks, ${started.toISOString()}`,
    '',
    ...about.map((line) => `- ${line}`),
    '',
    table,
    '',
    'Each ratio is the figure over the baseline its own script measured in the same run.',
    '',
    'Commands (from the repository root):',
    '',
    ...commands,
    ...(notes.length > 0 ? ['', ...notes] : []),
    '',
  ].join('\n');

  console.log(`\n=== summary (npm run bench)\n${about.join('\n')}\n\n${table}`);
  for (const note of notes) console.log(note.slice(2));
  await mkdir(path.dirname(RESULTS), { recursive: true });
  await writeFile(RESULTS, markdown);
  console.log(`\nwritten to ${path.relative(ROOT, RESULTS)}`);
  if (outcomes.some((o) => o.code !== 0 || !o.result)) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
