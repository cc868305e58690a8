/**
 * SIP over TLS next to UDP, in the same run, through the same carrier: the embedded engine places
 * calls to Kamailio (tls.so, a CA made here with openssl), which relays them to a sipp UAS over
 * UDP. The UDP row (engine → Kamailio over UDP → sipp) is the baseline; the TLS row differs only
 * in the engine's leg to Kamailio. sipp has no TLS on Debian, so Kamailio is the TLS end.
 * Every call is INVITE → 180 → 200 → ACK → BYE → 200 with `concurrency` calls in flight.
 *
 * Run: npx tsx bench/tls-calls.ts [--calls N] [--concurrency C] [--warmup W]
 * Needs kamailio, kamailio-tls-modules, sipp and openssl.
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { EmbeddedSipEngine, SipFailure, type SipTrunk } from '../src/sip/index.js';
import { freePortPair } from '../test/helpers/free-port.js';
import { kamailioMissing, startKamailioTls } from '../test/helpers/kamailio.js';
import { makeTestPki } from '../test/helpers/test-pki.js';

const HOST = '127.0.0.1';
const SDP = [
  'v=0',
  'o=- 1 0 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 40000 RTP/AVP 0',
  '',
].join('\r\n');

interface Row {
  readonly label: string;
  readonly ok: number;
  readonly failed: number;
  readonly callsPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly failures: Map<string, number>;
}

function options(): { calls: number; concurrency: number; warmup: number } {
  const { values } = parseArgs({
    options: {
      calls: { type: 'string', default: '2000' },
      concurrency: { type: 'string', default: '20' },
      warmup: { type: 'string', default: '200' },
    },
    strict: true,
  });
  const int = (name: string, raw: string): number => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1)
      throw new Error(`--${name} must be a positive integer, got ${raw}`);
    return value;
  };
  return {
    calls: int('calls', values.calls),
    concurrency: int('concurrency', values.concurrency),
    warmup: int('warmup', values.warmup),
  };
}

async function pool(engine: EmbeddedSipEngine, trunk: SipTrunk, calls: number, concurrency: number) {
  const setupMs: number[] = [];
  const failures = new Map<string, number>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < calls) {
      const n = next++;
      const started = performance.now();
      try {
        const leg = await engine.invite({
          trunk,
          uri: `sip:${100000 + n}@carrier.test`,
          sdp: SDP,
          ringTimeoutMs: 5000,
        });
        setupMs.push(performance.now() - started);
        await leg.hangup();
      } catch (error) {
        const key =
          error instanceof SipFailure
            ? `${error.status} ${error.reason} (${error.phase}${error.local ? `, local: ${String((error.cause as Error | undefined)?.message)}` : ''})`
            : String(error);
        failures.set(key, (failures.get(key) ?? 0) + 1);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(calls, concurrency) }, worker));
  return { setupMs, failures };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function run(
  label: string,
  trunk: SipTrunk,
  calls: number,
  concurrency: number,
  warmup: number,
): Promise<Row> {
  const engine = new EmbeddedSipEngine({ listen: { host: HOST, port: 0 } });
  await engine.start();
  try {
    await pool(engine, trunk, warmup, concurrency);
    const started = performance.now();
    const { setupMs, failures } = await pool(engine, trunk, calls, concurrency);
    const wallMs = performance.now() - started;
    const sorted = [...setupMs].sort((a, b) => a - b);
    return {
      label,
      ok: setupMs.length,
      failed: calls - setupMs.length,
      callsPerSecond: (setupMs.length / wallMs) * 1000,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      failures,
    };
  } finally {
    await engine.close();
  }
}

async function main(): Promise<void> {
  const missing = kamailioMissing();
  if (missing) throw new Error(missing);
  const { calls, concurrency, warmup } = options();
  const pki = await makeTestPki(['carrier.test'], { keep: true });
  const [uasPort, tlsPort, udpPort] = [await freePortPair(), await freePortPair(), await freePortPair()];
  // Echoes Record-Route, so ACK and BYE go back through Kamailio (sipp's built-in uas does not).
  const scenario = fileURLToPath(
    new URL('../test/fixtures/sipp/uas-answer-record-route.xml', import.meta.url),
  );
  const uas = spawn('sipp', ['-sf', scenario, '-i', HOST, '-p', String(uasPort), '-t', 'u1', '-nostdin'], {
    stdio: 'ignore',
  });
  const kamailio = await startKamailioTls({
    tlsPort,
    udpPort,
    certPath: pki.certPath,
    keyPath: pki.keyPath,
    relayTo: `${HOST}:${uasPort}`,
  });
  try {
    console.log(
      `node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}); ` +
        `engine → Kamailio (1 worker per transport) → sipp uas over UDP; ${calls} calls, ${concurrency} in flight, warm-up ${warmup}`,
    );
    const base = { name: 'bench', domain: 'carrier.test', tls: { ca: pki.caPath } } as const;
    const rows = [
      await run(
        'udp (baseline)',
        { ...base, transport: 'udp', proxy: `${HOST}:${udpPort}` },
        calls,
        concurrency,
        warmup,
      ),
      await run(
        'tls',
        { ...base, transport: 'tls', proxy: `${HOST}:${tlsPort}` },
        calls,
        concurrency,
        warmup,
      ),
    ];
    const [baseline] = rows;
    console.log(
      ['transport'.padEnd(16), 'calls/s', 'setup p50 ms', 'setup p99 ms', 'vs udp', 'ok/failed'].join('  '),
    );
    for (const row of rows) {
      console.log(
        [
          row.label.padEnd(16),
          row.callsPerSecond.toFixed(0).padStart(7),
          row.p50.toFixed(2).padStart(12),
          row.p99.toFixed(2).padStart(12),
          (baseline ? `${(row.callsPerSecond / baseline.callsPerSecond).toFixed(2)}×` : '').padStart(6),
          `${row.ok}/${row.failed}`.padStart(9),
        ].join('  '),
      );
      for (const [reason, count] of row.failures) console.log(`  failed ×${count}: ${reason}`);
    }
    console.log(
      `BENCH_RESULT ${JSON.stringify({ bench: 'tls-calls', calls, concurrency, rows: rows.map(({ failures: _, ...r }) => r) })}`,
    );
  } finally {
    await kamailio.stop();
    uas.kill('SIGTERM');
    await pki.remove();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
