import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, onTestFinished } from 'vitest';
import { freePortPair } from './free-port.js';
import { parseSippTrace, type WireMessage } from './sipp-trace.js';
import { waitFor, WaitForTimeoutError } from './wait-for.js';

export type { WireMessage } from './sipp-trace.js';

export const SIPP_FIXTURES = fileURLToPath(new URL('../fixtures/sipp/', import.meta.url));

const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 5_000;
const STOP_GRACE_MS = 2_000;

export interface StartSippOptions {
  /** A file in test/fixtures/sipp, or an absolute path. */
  readonly scenario: string;
  readonly transport?: 'udp' | 'tcp';
  /** Local port. Default: one free for both UDP and TCP. */
  readonly port?: number;
  /** Local address (`-i`, `-mi`). Default 127.0.0.1; another for peers on a test's own network. */
  readonly host?: string;
  /** Global scenario variables, passed as `-set name value` (the scenario declares them). */
  readonly vars?: Readonly<Record<string, string>>;
  /** For UAC scenarios: the peer, `host:port`. */
  readonly remote?: string;
  /** `-m`: sipp exits after this many calls. Default 1. */
  readonly calls?: number;
  /** `-r`: calls per second (UAC). */
  readonly rate?: number;
  readonly extraArgs?: readonly string[];
  /** sipp ends itself after this long (`-timeout`, counted as a failure). Default 20 000 ms. */
  readonly timeoutMs?: number;
}

export interface SippExit {
  /** 0: every call succeeded; 1: some failed; 255: fatal error or global timeout; null: killed by a signal. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** True when stop() ended it: sipp then still exits 0 if no call had failed yet, so read the code with care. */
  readonly stopped: boolean;
}

export interface SippPeer {
  readonly port: number;
  readonly host: string;
  /** `127.0.0.1:port`. */
  readonly uri: string;
  readonly transport: 'udp' | 'tcp';
  /** The sipp command line, for failure messages. */
  readonly args: readonly string[];
  readonly exited: Promise<SippExit>;
  /** sipp's exit code once it has ended by itself. */
  waitForExit(): Promise<number | null>;
  /** Messages sipp has sent and received so far (the trace is flushed per message). */
  messages(): Promise<WireMessage[]>;
  /** sipp's error log (`-trace_err`): unexpected messages, failed checks, timeouts. */
  errors(): Promise<string>;
  /** SIGTERM, then SIGKILL after a grace period. Idempotent; resolves once sipp has exited. */
  stop(): Promise<void>;
}

const live = new Set<SippPeer>();
const liveChildren = new Set<ChildProcess>();

// A stuck sipp must not outlive its test file, whatever the test did.
try {
  afterAll(async () => {
    await Promise.all([...live].map((peer) => peer.stop()));
  });
} catch {
  // Imported outside a test file's collection phase: the exit hook below still applies.
}
process.once('exit', () => {
  for (const child of liveChildren) child.kill('SIGKILL');
});

/**
 * Starts sipp on 127.0.0.1 with a message trace, and resolves once its SIP socket is bound (a UAS can be
 * called right away). Started inside a test, it is stopped when that test finishes.
 *
 * A scenario can name arguments it cannot work without on a `sipp-args:` line in its comment
 * (e.g. `-nr`); they are added here.
 */
export async function startSipp(options: StartSippOptions): Promise<SippPeer> {
  const attempts = options.port === undefined ? 3 : 1;
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (err) {
      // A port picked as free can be taken before sipp binds it; pick another.
      if (attempt >= attempts || !(err instanceof SippStartError) || !err.portInUse) throw err;
    }
  }
}

class SippStartError extends Error {
  constructor(
    message: string,
    readonly portInUse: boolean,
  ) {
    super(message);
    this.name = 'SippStartError';
  }
}

async function startOnce(options: StartSippOptions): Promise<SippPeer> {
  const transport = options.transport ?? 'udp';
  const host = options.host ?? HOST;
  const scenarioPath = isAbsolute(options.scenario)
    ? options.scenario
    : resolve(SIPP_FIXTURES, options.scenario);
  if (!existsSync(scenarioPath)) throw new Error(`sipp scenario not found: ${scenarioPath}`);
  const scenarioArgs = await requiredArgs(scenarioPath);
  const port = options.port ?? (await freePortPair());
  const dir = await mkdtemp(join(tmpdir(), 'sipp-'));
  const messageFile = join(dir, 'messages.log');
  const errorFile = join(dir, 'errors.log');
  const timeoutSec = Math.max(1, Math.ceil((options.timeoutMs ?? 20_000) / 1000));

  const args = [
    '-sf',
    scenarioPath,
    ...(options.remote !== undefined ? [options.remote] : []),
    '-i',
    host,
    '-mi',
    host,
    '-p',
    String(port),
    '-t',
    transport === 'tcp' ? 't1' : 'u1',
    // No TTY here: no keyboard, and no default behaviours (no BYE/CANCEL of its own on a failed call).
    '-nostdin',
    '-nd',
    '-m',
    String(options.calls ?? 1),
    ...(options.rate !== undefined ? ['-r', String(options.rate)] : []),
    '-trace_msg',
    '-message_file',
    messageFile,
    '-trace_err',
    '-error_file',
    errorFile,
    '-timeout',
    `${timeoutSec}s`,
    '-timeout_error',
    ...Object.entries(options.vars ?? {}).flatMap(([name, value]) => ['-set', name, value]),
    ...scenarioArgs,
    ...(options.extraArgs ?? []),
  ];

  const child = spawn('sipp', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  liveChildren.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  let hasExited = false;
  let stopped = false;
  const exited = new Promise<SippExit>((resolveExit) => {
    child.once('error', (err) => {
      hasExited = true;
      liveChildren.delete(child);
      const hint = (err as NodeJS.ErrnoException).code === 'ENOENT' ? ' (apt-get install sip-tester)' : '';
      resolveExit({ code: null, signal: null, stdout, stderr: `${stderr}${String(err)}${hint}`, stopped });
    });
    child.once('close', (code, signal) => {
      hasExited = true;
      liveChildren.delete(child);
      resolveExit({ code, signal, stdout, stderr, stopped });
    });
  });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (!hasExited) {
        stopped = true;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }
      live.delete(peer);
    })();
    return stopping;
  };

  const peer: SippPeer = {
    port,
    host,
    uri: `${host}:${port}`,
    transport,
    args,
    exited,
    waitForExit: async () => (await exited).code,
    messages: async () =>
      existsSync(messageFile) ? parseSippTrace(await readFile(messageFile, 'utf8')) : [],
    errors: async () => (existsSync(errorFile) ? readFile(errorFile, 'utf8') : ''),
    stop,
  };
  live.add(peer);
  void exited.then(() => {
    live.delete(peer);
    // Keep the directory while a test may still read the trace; the OS temp dir is the fallback.
    setTimeout(() => void rm(dir, { recursive: true, force: true }), 60_000).unref();
  });
  try {
    onTestFinished(() => stop());
  } catch {
    // Started outside a test (beforeAll): the file-level afterAll stops it.
  }

  const ready = await waitUntilBound(port, transport, options.remote !== undefined, () => hasExited);
  if (!ready) {
    const result = hasExited ? await exited : undefined;
    await stop();
    const output = result ? `${result.stderr}\n${result.stdout}` : '';
    throw new SippStartError(
      `sipp did not bind ${transport} ${host}:${port} within ${READY_TIMEOUT_MS} ms` +
        (result ? ` (exited with ${result.code}): ${lastLines(output)}` : '') +
        `\ncommand: sipp ${args.join(' ')}`,
      /bind|address already in use/i.test(output),
    );
  }
  return peer;
}

/** Arguments a scenario names on a `sipp-args:` line of its comment. */
async function requiredArgs(scenarioPath: string): Promise<string[]> {
  const xml = await readFile(scenarioPath, 'utf8');
  const line = /^\s*sipp-args:(.*)$/m.exec(xml);
  return line?.[1]?.trim().split(/\s+/).filter(Boolean) ?? [];
}

/**
 * Polls the kernel's socket tables: sending a probe to a UAS would start a call in it. A UAS is ready
 * when its UDP socket is bound or its TCP socket listens; a TCP UAC only has a connected socket.
 */
async function waitUntilBound(
  port: number,
  transport: 'udp' | 'tcp',
  isClient: boolean,
  hasExited: () => boolean,
): Promise<boolean> {
  try {
    const state = await waitFor(
      async () => (hasExited() ? 'exited' : (await portIsBound(port, transport, isClient)) && 'bound'),
      { what: `sipp bound to ${transport} port ${port}`, timeoutMs: READY_TIMEOUT_MS, intervalMs: 20 },
    );
    return state === 'bound';
  } catch (error) {
    // The caller names what went wrong, with sipp's own output.
    if (error instanceof WaitForTimeoutError) return false;
    throw error;
  }
}

const TCP_LISTEN = '0A';

async function portIsBound(port: number, transport: 'udp' | 'tcp', anyState: boolean): Promise<boolean> {
  const files =
    transport === 'udp' ? ['/proc/net/udp', '/proc/net/udp6'] : ['/proc/net/tcp', '/proc/net/tcp6'];
  const portHex = port.toString(16).toUpperCase().padStart(4, '0');
  for (const file of files) {
    let table: string;
    try {
      table = await readFile(file, 'utf8');
    } catch {
      continue;
    }
    for (const row of table.split('\n').slice(1)) {
      const fields = row.trim().split(/\s+/);
      const local = fields[1];
      const state = fields[3];
      if (local === undefined || !local.endsWith(`:${portHex}`)) continue;
      if (transport === 'udp' || anyState || state === TCP_LISTEN) return true;
    }
  }
  return false;
}

function lastLines(text: string, count = 8): string {
  return text.trim().split('\n').slice(-count).join('\n');
}
