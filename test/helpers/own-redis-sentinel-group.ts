import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freeTcpPort } from './free-port.js';
import { waitFor } from './wait-for.js';

export interface SentinelGroupOptions {
  /** The data servers' `requirepass` (and `masterauth`, so the replica can follow the primary). */
  readonly password: string;
  /** The sentinels' own `requirepass`. */
  readonly sentinelPassword: string;
}

const NAME = 'mymaster';

/** True when Debian's redis-sentinel (or a redis-server that runs as one) is on the PATH. */
export function hasRedisSentinel(): boolean {
  return spawnSync('redis-sentinel', ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * A primary, one replica and three sentinels on loopback ports, each with its own temp dir and
 * AOF `appendfsync always`, as production runs them. Sentinels declare the primary down after
 * one second so a test's failover takes a few seconds, not thirty.
 */
export class OwnRedisSentinelGroup {
  readonly name = NAME;
  readonly #children = new Map<number, ChildProcess>();

  private constructor(
    readonly primaryPort: number,
    readonly replicaPort: number,
    readonly sentinelPorts: readonly number[],
    readonly options: SentinelGroupOptions,
  ) {}

  static async start(options: SentinelGroupOptions): Promise<OwnRedisSentinelGroup> {
    const ports = [];
    for (let i = 0; i < 5; i++) ports.push(await freeTcpPort());
    const [primary = 0, replica = 0, ...sentinels] = ports;
    const group = new OwnRedisSentinelGroup(primary, replica, sentinels, options);
    try {
      await group.#startData(primary, []);
      await group.#startData(replica, ['--replicaof', '127.0.0.1', String(primary)]);
      await waitFor(
        async () => (await group.#info(replica, 'replication')).includes('master_link_status:up'),
        {
          what: 'the replica to sync with the primary',
        },
      );
      for (const port of sentinels) await group.#startSentinel(port);
      // Every sentinel must know the replica (and the others) before a failover can pick it.
      for (const port of sentinels) {
        await waitFor(
          async () => {
            const replicas = (await group.#sentinel(port, ['SENTINEL', 'REPLICAS', NAME])) as unknown[];
            const others = (await group.#sentinel(port, ['SENTINEL', 'SENTINELS', NAME])) as unknown[];
            return replicas.length === 1 && others.length === sentinels.length - 1;
          },
          { what: `sentinel ${port} to discover the replica and the other sentinels` },
        );
      }
    } catch (error) {
      group.stop();
      throw error;
    }
    return group;
  }

  get sentinelYaml(): string {
    const list = this.sentinelPorts.map((p) => `"127.0.0.1:${p}"`).join(', ');
    return `{ sentinels: [${list}], name: ${NAME}, password: "${this.options.password}", sentinelPassword: "${this.options.sentinelPassword}" }`;
  }

  /** The primary's address as the sentinels report it now. */
  async primaryAddress(): Promise<number | undefined> {
    for (const port of this.sentinelPorts) {
      const reply = await this.#sentinel(port, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', NAME]).catch(
        () => null,
      );
      if (Array.isArray(reply) && reply.length === 2) return Number(reply[1]);
    }
    return undefined;
  }

  /** SIGKILL of the primary: it dies at once, as when its host is lost. */
  killPrimary(): void {
    this.#children.get(this.primaryPort)?.kill('SIGKILL');
  }

  /** Ends every process. Idempotent. */
  stop(): void {
    for (const child of this.#children.values()) if (child.exitCode === null) child.kill('SIGKILL');
  }

  async #startData(port: number, extra: readonly string[]): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), 'sentinel-data-'));
    const { password } = this.options;
    this.#spawn(port, 'redis-server', [
      ...['--port', String(port), '--bind', '127.0.0.1', '--dir', dir],
      ...['--appendonly', 'yes', '--appendfsync', 'always', '--save', ''],
      ...['--maxmemory-policy', 'noeviction', '--requirepass', password, '--masterauth', password],
      ...extra,
    ]);
    await waitFor(() => this.#ping(port, password), { what: `redis-server on ${port} to answer` });
  }

  async #startSentinel(port: number): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), 'sentinel-'));
    const file = join(dir, 'sentinel.conf');
    // Sentinel rewrites its file as it learns the group; it must be its own and writable.
    await writeFile(
      file,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `requirepass ${this.options.sentinelPassword}`,
        `sentinel monitor ${NAME} 127.0.0.1 ${this.primaryPort} 2`,
        `sentinel auth-pass ${NAME} ${this.options.password}`,
        `sentinel down-after-milliseconds ${NAME} 1000`,
        `sentinel failover-timeout ${NAME} 10000`,
        `sentinel parallel-syncs ${NAME} 1`,
        '',
      ].join('\n'),
    );
    this.#spawn(port, 'redis-sentinel', [file]);
    await waitFor(() => this.#ping(port, this.options.sentinelPassword), {
      what: `sentinel on ${port} to answer`,
    });
  }

  #spawn(port: number, command: string, args: readonly string[]): void {
    const child = spawn(command, args, { stdio: 'ignore' });
    this.#children.set(port, child);
    process.once('exit', () => child.kill('SIGKILL'));
  }

  async #ping(port: number, password: string): Promise<boolean> {
    return (await this.#command(port, password, ['PING']).catch(() => undefined)) === 'PONG';
  }

  async #info(port: number, section: string): Promise<string> {
    return String(await this.#command(port, this.options.password, ['INFO', section]).catch(() => ''));
  }

  #sentinel(port: number, args: readonly string[]): Promise<unknown> {
    return this.#command(port, this.options.sentinelPassword, args);
  }

  async #command(port: number, password: string, [name = '', ...args]: readonly string[]): Promise<unknown> {
    const redis = new Redis({
      port,
      password,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    redis.on('error', () => undefined);
    try {
      await redis.connect();
      return await redis.call(name, ...args);
    } finally {
      redis.disconnect();
    }
  }
}
