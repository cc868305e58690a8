import type { Cluster, Redis } from 'ioredis';
import type { RedisTarget } from '../kernel/index.js';
import { describeRedisTarget } from './describe-redis-target.js';
import { isRedisRefusal } from './is-redis-refusal.js';
import type { RedisConnection } from './redis-connection.js';
import { RedisUnreachableError } from './redis-unreachable-error.js';

/** How long an operation waits for a connection that is not ready before it gives up. */
export const REDIS_READY_TIMEOUT_MS = 2000;

/**
 * Whether a connection can take commands now, and why not. ioredis queues commands while it
 * reconnects, and BullMQ waits for `ready` with no deadline; against a Redis that refuses the
 * login (it never gets ready) both wait forever. `ensure()` turns that into a bounded wait and
 * a RedisUnreachableError naming the URL (password masked) and the last thing Redis said.
 */
export class RedisAvailability {
  readonly #redis: RedisConnection;
  readonly #where: string;
  #lastError: Error | undefined;
  /**
   * Operations waiting on the connection's events. One listener per event on the connection, not
   * one per operation: a busy API server has hundreds in flight, and Node warns past ten.
   */
  readonly #waiters = new Set<{ ready?(): void; close?(): void; end?(): void }>();
  readonly #onError = (error: Error): void => {
    this.#lastError = error;
  };
  readonly #onReady = (): void => {
    this.#lastError = undefined;
    for (const waiter of [...this.#waiters]) waiter.ready?.();
  };
  readonly #onClose = (): void => {
    for (const waiter of [...this.#waiters]) waiter.close?.();
  };
  readonly #onEnd = (): void => {
    for (const waiter of [...this.#waiters]) waiter.end?.();
  };

  /** @param target what the connection was made from (a URL is shown with its password masked). */
  constructor(redis: RedisConnection, target?: RedisTarget) {
    this.#redis = redis;
    this.#where = describeRedisTarget(target ?? targetOf(redis));
    redis.on('error', this.#onError);
    redis.on('ready', this.#onReady);
    redis.on('close', this.#onClose);
    redis.on('end', this.#onEnd);
  }

  /** The target as messages show it (password masked). */
  get where(): string {
    return this.#where;
  }

  /** Resolves once the connection is ready, within `timeoutMs`; else throws RedisUnreachableError. */
  async ensure(timeoutMs = REDIS_READY_TIMEOUT_MS): Promise<void> {
    const redis = this.#redis;
    if (redis.status === 'ready') return;
    if (redis.status === 'end') throw this.#error('the connection is closed');
    // A refused login does not heal by waiting: until the operator fixes it, say so at once.
    if (isRedisRefusal(this.#lastError)) throw this.#error(`refused, ${redis.status}`);
    if (redis.status === 'wait') redis.connect().catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    let waiter: { ready(): void; end(): void } | undefined;
    try {
      const outcome = await new Promise<'ready' | 'end' | 'timeout'>((resolve) => {
        waiter = { ready: () => resolve('ready'), end: () => resolve('end') };
        this.#waiters.add(waiter);
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
      });
      if (outcome === 'ready') return;
      throw this.#error(outcome === 'end' ? 'the connection is closed' : `not ready within ${timeoutMs} ms`);
    } finally {
      clearTimeout(timer);
      if (waiter) this.#waiters.delete(waiter);
    }
  }

  /**
   * The operation's own result, unless the connection drops while it runs and is not back within
   * `timeoutMs`: then RedisUnreachableError. A connection made with `maxRetriesPerRequest: null`
   * would otherwise hold the caller until Redis returns, however long that is. On a connection
   * with ioredis's offline queue and resends on (not DialerClient's), the commands stay queued and
   * may still run when Redis returns.
   */
  watch<T>(operation: Promise<T>, timeoutMs = REDIS_READY_TIMEOUT_MS): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const waiter = {
        close: (): void => {
          timer ??= setTimeout(() => {
            done();
            reject(this.#error(`connection lost mid-operation, not back within ${timeoutMs} ms`));
          }, timeoutMs);
        },
        ready: (): void => {
          clearTimeout(timer);
          timer = undefined;
        },
      };
      const done = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
      };
      this.#waiters.add(waiter);
      operation.then(
        (value) => {
          done();
          resolve(value);
        },
        (error: unknown) => {
          done();
          reject(error);
        },
      );
    });
  }

  /** An error for a failure seen on this connection, with the URL and the last error named. */
  unavailable(cause: Error): RedisUnreachableError {
    return new RedisUnreachableError(`Redis at ${this.#where} is not available: ${cause.message}`, { cause });
  }

  /** Stops listening to the connection. Idempotent. */
  close(): void {
    this.#redis.off('error', this.#onError);
    this.#redis.off('ready', this.#onReady);
    this.#redis.off('close', this.#onClose);
    this.#redis.off('end', this.#onEnd);
  }

  #error(state: string): RedisUnreachableError {
    const last = this.#lastError;
    return new RedisUnreachableError(
      `Redis at ${this.#where} is not available (${state})${last ? `: ${last.message}` : ''}`,
      last ? { cause: last } : undefined,
    );
  }
}

/** What a connection was made from, for the message only: passwords are left out. */
function targetOf(redis: RedisConnection): RedisTarget {
  if (redis.isCluster) {
    const nodes = (redis as Cluster).nodes('all');
    return {
      cluster: nodes.map((node) => ({ host: node.options.host ?? '?', port: node.options.port ?? 0 })),
    };
  }
  const { host, port, username, password, db, tls, sentinels, name } = (redis as Redis).options;
  if (sentinels && name) {
    return {
      name,
      sentinels: sentinels.map((s) => ({ host: s.host ?? '127.0.0.1', port: s.port ?? 26379 })),
      ...(username ? { username } : {}),
    };
  }
  // The password is there only so that the URL shows it masked.
  const auth = username || password ? `${username ?? ''}${password ? ':***' : ''}@` : '';
  return `${tls ? 'rediss' : 'redis'}://${auth}${host ?? '127.0.0.1'}:${port ?? 6379}${db ? `/${db}` : ''}`;
}
