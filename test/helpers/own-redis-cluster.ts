import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freeTcpPort } from './free-port.js';
import { waitFor } from './wait-for.js';

/** True when redis-cli (Debian package redis-tools), which creates the cluster, is on the PATH. */
export function hasRedisCli(): boolean {
  return spawnSync('redis-cli', ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * Three redis-server masters with `--cluster-enabled yes` on loopback ports (AOF `appendfsync
 * always`, each in its own temp dir), joined by `redis-cli --cluster create`, with a password.
 */
export class OwnRedisCluster {
  readonly #children: ChildProcess[] = [];

  private constructor(
    readonly ports: readonly number[],
    readonly password: string,
  ) {}

  static async start(password: string, masters = 3): Promise<OwnRedisCluster> {
    const ports: number[] = [];
    const busPorts: number[] = [];
    for (let i = 0; i < masters; i++) {
      ports.push(await freeTcpPort());
      // Given explicitly: the default (port + 10000) can be past 65535 for a kernel-chosen port.
      busPorts.push(await freeTcpPort());
    }
    const cluster = new OwnRedisCluster(ports, password);
    try {
      for (const [i, port] of ports.entries()) await cluster.#startNode(port, busPorts[i] ?? 0);
      const created = await cluster.#redisCli([
        '--cluster',
        'create',
        ...ports.map((p) => `127.0.0.1:${p}`),
        '--cluster-yes',
      ]);
      if (created.status !== 0) throw new Error(`redis-cli --cluster create failed: ${created.output}`);
      for (const port of ports) {
        await waitFor(async () => (await cluster.#info(port)).includes('cluster_state:ok'), {
          what: `node ${port} to see the cluster ok`,
        });
      }
    } catch (error) {
      cluster.stop();
      throw error;
    }
    return cluster;
  }

  get yaml(): string {
    return `{ cluster: [${this.ports.map((p) => `"127.0.0.1:${p}"`).join(', ')}], password: "${this.password}" }`;
  }

  /** How many keys each master holds, by port. */
  async keysPerNode(): Promise<Map<number, number>> {
    const out = new Map<number, number>();
    for (const port of this.ports) out.set(port, Number(await this.#command(port, ['DBSIZE'])));
    return out;
  }

  /** Commands each master has served since it started (`INFO commandstats`, summed), by port. */
  async commandsPerNode(): Promise<Map<number, number>> {
    const out = new Map<number, number>();
    for (const port of this.ports) {
      const stats = String(await this.#command(port, ['INFO', 'commandstats']));
      let total = 0;
      for (const m of stats.matchAll(/^cmdstat_[^:]+:calls=(\d+)/gm)) total += Number(m[1]);
      out.set(port, total);
    }
    return out;
  }

  /** How many keys each master holds in one slot (`CLUSTER COUNTKEYSINSLOT`), by port. */
  async keysInSlot(slot: number): Promise<Map<number, number>> {
    const out = new Map<number, number>();
    for (const port of this.ports)
      out.set(port, Number(await this.#command(port, ['CLUSTER', 'COUNTKEYSINSLOT', String(slot)])));
    return out;
  }

  /** Ends every node. Idempotent. */
  stop(): void {
    for (const child of this.#children) if (child.exitCode === null) child.kill('SIGKILL');
  }

  async #startNode(port: number, busPort: number): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), 'cluster-node-'));
    const child = spawn(
      'redis-server',
      [
        ...['--port', String(port), '--cluster-port', String(busPort), '--bind', '127.0.0.1', '--dir', dir],
        ...['--cluster-enabled', 'yes', '--cluster-config-file', join(dir, 'nodes.conf')],
        ...['--cluster-node-timeout', '2000', '--appendonly', 'yes', '--appendfsync', 'always', '--save', ''],
        ...[
          '--maxmemory-policy',
          'noeviction',
          '--requirepass',
          this.password,
          '--masterauth',
          this.password,
        ],
      ],
      { stdio: 'ignore' },
    );
    this.#children.push(child);
    process.once('exit', () => child.kill('SIGKILL'));
    await waitFor(async () => (await this.#command(port, ['PING']).catch(() => undefined)) === 'PONG', {
      what: `cluster node ${port} to answer`,
    });
  }

  #redisCli(args: readonly string[]): Promise<{ status: number | null; output: string }> {
    return new Promise((resolve) => {
      // The password from the environment, not the command line (where ps shows it).
      const child = spawn('redis-cli', args, { env: { ...process.env, REDISCLI_AUTH: this.password } });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      child.on('close', (status) => resolve({ status, output }));
    });
  }

  async #info(port: number): Promise<string> {
    return String(await this.#command(port, ['CLUSTER', 'INFO']).catch(() => ''));
  }

  async #command(port: number, [name = '', ...args]: readonly string[]): Promise<unknown> {
    const redis = new Redis({
      port,
      password: this.password,
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
