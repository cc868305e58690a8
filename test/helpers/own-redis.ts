import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeTcpPort } from './free-port.js';

export interface OwnRedisOptions {
  /**
   * AOF fsync policy. Default `always` (a test that restarts Redis loses nothing); production
   * usually runs `everysec`, which can lose up to a second of writes when the host dies.
   */
  readonly appendfsync?: 'always' | 'everysec' | 'no';
  /** Default true. */
  readonly appendonly?: boolean;
  /** The `default` user's password (`--requirepass`). */
  readonly requirepass?: string;
  /** ACL users, as `{ name: password }`: each may run every command on every key. */
  readonly users?: Readonly<Record<string, string>>;
  /** The address it listens on. Default 127.0.0.1; another for clients on a test's own network. */
  readonly bind?: string;
}

/** A redis-server a test owns (and may stop and restart), with AOF as production runs it. */
export class OwnRedis {
  #child: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    readonly dir: string,
    readonly options: OwnRedisOptions,
  ) {}

  static async start(options: OwnRedisOptions = {}): Promise<OwnRedis> {
    const redis = new OwnRedis(await freeTcpPort(), await mkdtemp(join(tmpdir(), 'own-redis-')), options);
    await redis.restart();
    return redis;
  }

  get url(): string {
    return `redis://${this.#host}:${this.port}`;
  }

  get #host(): string {
    return this.options.bind ?? '127.0.0.1';
  }

  /** Starts (again) on the same port and data directory: the AOF brings the data back. */
  async restart(): Promise<void> {
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        this.#host,
        '--dir',
        this.dir,
        '--appendonly',
        this.options.appendonly === false ? 'no' : 'yes',
        '--appendfsync',
        this.options.appendfsync ?? 'always',
        '--save',
        '',
        '--maxmemory-policy',
        'noeviction',
        // Protected mode answers DENIED to any client off loopback when there is no password; a
        // test network's clients are the test's own.
        ...(this.#host === '127.0.0.1' ? [] : ['--protected-mode', 'no']),
        ...(this.options.requirepass === undefined ? [] : ['--requirepass', this.options.requirepass]),
        ...Object.entries(this.options.users ?? {}).flatMap(([name, password]) => [
          '--user',
          name,
          'on',
          `>${password}`,
          '~*',
          '&*',
          '+@all',
        ]),
      ],
      { stdio: 'ignore' },
    );
    this.#child = child;
    process.once('exit', () => child.kill('SIGKILL'));
    const deadline = Date.now() + 10_000;
    while (!(await this.#answers())) {
      if (Date.now() > deadline) throw new Error(`redis-server on ${this.port} did not start`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGTERM: Redis flushes the AOF and exits, as in an orderly restart. */
  async stop(): Promise<void> {
    await this.#signal('SIGTERM');
  }

  /** SIGKILL: Redis dies at once; writes not yet fsynced to the AOF are lost (as when a host dies). */
  async kill(): Promise<void> {
    await this.#signal('SIGKILL');
  }

  async #signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
  }

  #answers(): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = connect(this.port, this.#host);
      socket.once('connect', () => {
        socket.write('PING\r\n');
        socket.once('data', (data) => {
          socket.destroy();
          // A server with a password answers NOAUTH: it is up all the same.
          resolve(/^(\+PONG|-NOAUTH)/.test(data.toString()));
        });
      });
      socket.once('error', () => resolve(false));
    });
  }
}
