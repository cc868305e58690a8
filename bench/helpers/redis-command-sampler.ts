/**
 * Where a Redis server's commands go, per call: a MONITOR connection records every command the
 * server runs while it is open, and each command a Lua script runs (MONITOR shows it as from
 * `lua`, right after the EVALSHA that ran it: the server is single-threaded) is billed to that
 * script. Scripts are named by their SHA1: ours from `LuaScript.nameOf`, BullMQ's from the
 * commands its connection defined (`name:version`), anything else by the SHA's first 8 digits.
 *
 * MONITOR costs the server CPU for every command, so open it only in a phase that measures no CPU.
 */
import { createHash } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { LuaScript } from '../../src/redis/index.js';

export interface ScriptRuns {
  /** How many times the script ran. */
  runs: number;
  /** The commands it ran inside, by name. */
  readonly inner: Map<string, number>;
}

export interface CommandSample {
  /** Commands sent by clients (EVALSHA, EVAL and MULTI/EXEC included), by name. */
  readonly topLevel: Map<string, number>;
  /** Per script: its runs and the commands it ran. */
  readonly scripts: Map<string, ScriptRuns>;
  /** Commands sent outside scripts by name and the shape of their first key (ids as `*`). */
  readonly outsideByKey: Map<string, number>;
}

/** A key with its ids (runs of digits, UUIDs, E.164 numbers) as `*`, so one kind of key counts once. */
export function keyShape(key: string): string {
  // full-path.ts's prefix first: its random hex part would otherwise read as ids.
  return key
    .replace(/\{bench-[0-9a-f]{8}/g, '{prefix')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '*')
    .replace(/\+?\d{3,}/g, '*');
}

/** Commands without a key as their first argument. */
const KEYLESS = new Set([
  'multi',
  'exec',
  'quit',
  'ping',
  'info',
  'time',
  'client',
  'select',
  'auth',
  'hello',
]);

/**
 * BullMQ's scripts by SHA1: a queue defines them on the connection it is handed (as ioredis
 * commands named `name:version`), on a connection of our own made for that.
 */
export async function bullmqScriptNames(server: {
  host: string;
  port: number;
  password?: string;
}): Promise<Map<string, string>> {
  const connection = new Redis({
    host: server.host,
    port: server.port,
    ...(server.password !== undefined ? { password: server.password } : {}),
    maxRetriesPerRequest: null,
  });
  const queue = new Queue('script-names', { connection });
  try {
    await queue.waitUntilReady();
    // ioredis keeps what defineCommand made in `scriptsSet` (name → Script with `sha`); it is
    // not in its typings, hence the shape check instead of a type.
    const set =
      (connection as unknown as { scriptsSet?: Record<string, { sha?: unknown }> }).scriptsSet ?? {};
    const names = new Map<string, string>();
    for (const [name, script] of Object.entries(set))
      if (typeof script.sha === 'string') names.set(script.sha, `bullmq ${name.replace(/:[^:]*$/, '')}`);
    return names;
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

export class CommandSampler {
  readonly #monitor: Redis;
  readonly #sample: CommandSample = { topLevel: new Map(), scripts: new Map(), outsideByKey: new Map() };
  readonly #names: ReadonlyMap<string, string>;
  #script: ScriptRuns | undefined;
  #closed = false;

  private constructor(monitor: Redis, names: ReadonlyMap<string, string>) {
    this.#monitor = monitor;
    this.#names = names;
  }

  /** Opens MONITOR on one server; `names` adds script names by SHA1 (BullMQ's). */
  static async start(
    server: { host: string; port: number; password?: string },
    names: ReadonlyMap<string, string> = new Map(),
  ): Promise<CommandSampler> {
    const client = new Redis({
      host: server.host,
      port: server.port,
      ...(server.password !== undefined ? { password: server.password } : {}),
      lazyConnect: true,
      maxRetriesPerRequest: 0,
    });
    client.on('error', () => undefined);
    await client.connect();
    // ioredis opens MONITOR on a duplicate of this connection, which is then no longer needed.
    const monitor = await client.monitor();
    client.disconnect();
    monitor.on('error', () => undefined);
    const sampler = new CommandSampler(monitor, names);
    monitor.on('monitor', (_time: string, args: string[], source: string) => sampler.#record(args, source));
    return sampler;
  }

  #record(args: readonly string[], source: string): void {
    const name = (args[0] ?? '').toLowerCase();
    const add = (map: Map<string, number>): void => void map.set(name, (map.get(name) ?? 0) + 1);
    if (source === 'lua') {
      if (this.#script) add(this.#script.inner);
      return;
    }
    add(this.#sample.topLevel);
    if (name === 'evalsha' || name === 'eval') {
      const sha =
        name === 'evalsha'
          ? (args[1] ?? '').toLowerCase()
          : createHash('sha1')
              .update(args[1] ?? '')
              .digest('hex');
      const scriptName = LuaScript.nameOf(sha) ?? this.#names.get(sha) ?? `script ${sha.slice(0, 8)}`;
      let runs = this.#sample.scripts.get(scriptName);
      if (!runs) {
        runs = { runs: 0, inner: new Map() };
        this.#sample.scripts.set(scriptName, runs);
      }
      runs.runs += 1;
      this.#script = runs;
    } else {
      this.#script = undefined;
      // XREAD's first key follows its options; others name theirs first.
      const key = name === 'xread' ? args[args.findIndex((a) => a.toLowerCase() === 'streams') + 1] : args[1];
      const label = KEYLESS.has(name) || key === undefined ? name : `${name} ${keyShape(key)}`;
      this.#sample.outsideByKey.set(label, (this.#sample.outsideByKey.get(label) ?? 0) + 1);
    }
  }

  /** Closes MONITOR and returns what it saw. Idempotent. */
  stop(): CommandSample {
    if (!this.#closed) {
      this.#closed = true;
      this.#monitor.disconnect();
    }
    return this.#sample;
  }
}

const total = (map: ReadonlyMap<string, number>): number => [...map.values()].reduce((a, b) => a + b, 0);

/** Commands a sample holds: top-level plus those run inside scripts. */
export function sampledCommands(sample: CommandSample): number {
  return total(sample.topLevel) + [...sample.scripts.values()].reduce((sum, s) => sum + total(s.inner), 0);
}

/**
 * Lines of text: per call, each script's runs and inner commands (largest first, with its inner
 * commands by name), then the commands clients sent outside scripts, by name.
 */
export function formatCommandSample(sample: CommandSample, calls: number, indent = '  '): string[] {
  const per = (n: number): string => (n / calls).toFixed(2).replace(/\.?0+$/, '') || '0';
  const lines: string[] = [];
  const all = sampledCommands(sample);
  lines.push(`${indent}sampled with MONITOR over ${calls} calls: ${per(all)} commands/call`);
  const scripts = [...sample.scripts].sort(
    (a, b) => total(b[1].inner) + b[1].runs - (total(a[1].inner) + a[1].runs),
  );
  const width = Math.max(0, ...scripts.map(([name]) => name.length));
  for (const [name, runs] of scripts) {
    const inner = [...runs.inner].sort((a, b) => b[1] - a[1]);
    lines.push(
      `${indent}  ${name.padEnd(width)}  runs ${per(runs.runs).padStart(5)}  inside ${per(total(runs.inner)).padStart(5)}  ` +
        `(${inner.map(([command, n]) => `${command} ${per(n)}`).join(', ')})`,
    );
  }
  const outside = [...sample.topLevel].filter(([name]) => name !== 'evalsha' && name !== 'eval');
  outside.sort((a, b) => b[1] - a[1]);
  lines.push(`${indent}  outside scripts: ${per(total(new Map(outside)))} per call, by first key:`);
  for (const [label, n] of [...sample.outsideByKey].sort((a, b) => b[1] - a[1]))
    lines.push(`${indent}    ${per(n).padStart(5)}  ${label}`);
  return lines;
}
