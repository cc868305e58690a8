import { duplicateRedisConnection, type RedisConnection } from '../redis/index.js';
import type { CallOutcome } from '../jobs/index.js';
import { OutcomeStore, OutcomeTimeoutError } from '../jobs/index.js';
import type { DialerKeys } from '../jobs/index.js';
import { TooManyWaitersError } from './too-many-waiters-error.js';

interface Waiter {
  resolve(outcome: CallOutcome): void;
  reject(error: unknown): void;
}

/**
 * Long polls on call outcomes sharing ONE blocking Redis connection: one XREAD BLOCK loop on the
 * outcomes stream hands each entry to the waiters for its job id. A connection per poll ran Redis
 * out of clients; at most `maxWaiters` polls wait at once.
 */
export class OutcomeWaiters {
  readonly #redis: RedisConnection;
  readonly #stream: string;
  readonly #store: OutcomeStore;
  readonly #max: number;
  readonly #waiters = new Map<string, Set<Waiter>>();
  #count = 0;
  #reader: RedisConnection | undefined;
  #loop: Promise<string> | undefined;
  #closed = false;

  constructor(options: { redis: RedisConnection; keys: DialerKeys; maxWaiters: number }) {
    this.#redis = options.redis;
    this.#stream = options.keys.outcomes;
    this.#store = new OutcomeStore({ redis: options.redis, keys: options.keys });
    this.#max = options.maxWaiters;
  }

  /** Polls waiting now. */
  get size(): number {
    return this.#count;
  }

  /** @throws TooManyWaitersError, OutcomeTimeoutError, or the signal's reason. */
  async wait(jobId: string, options: { timeoutMs: number; signal: AbortSignal }): Promise<CallOutcome> {
    if (this.#closed) throw new Error('outcome waiters closed');
    if (this.#count >= this.#max) throw new TooManyWaitersError(this.#max);
    this.#count += 1;
    let waiter!: Waiter;
    const done = new Promise<CallOutcome>((resolve, reject) => (waiter = { resolve, reject }));
    const set = this.#waiters.get(jobId) ?? new Set<Waiter>();
    set.add(waiter);
    this.#waiters.set(jobId, set);
    const timer = setTimeout(
      () => waiter.reject(new OutcomeTimeoutError(jobId, options.timeoutMs)),
      options.timeoutMs,
    );
    const onAbort = (): void => waiter.reject(options.signal.reason ?? new Error('aborted'));
    options.signal.addEventListener('abort', onAbort, { once: true });
    if (options.signal.aborted) onAbort();
    try {
      // The loop reads from where the stream stood when it started, so an outcome stored before
      // that is found here and one stored after reaches the loop.
      this.#ensureLoop();
      const stored = await this.#store.get(jobId);
      if (stored !== undefined) waiter.resolve(stored);
      return await done;
    } finally {
      clearTimeout(timer);
      options.signal.removeEventListener('abort', onAbort);
      set.delete(waiter);
      if (set.size === 0 && this.#waiters.get(jobId) === set) this.#waiters.delete(jobId);
      this.#count -= 1;
    }
  }

  #ensureLoop(): void {
    if (this.#loop !== undefined) return;
    if (this.#reader === undefined) {
      // Once per connection: the loop restarts each time polls come back after none waited.
      this.#reader = duplicateRedisConnection(this.#redis);
      this.#reader.on('error', () => undefined);
    }
    this.#loop = this.#run(this.#reader);
    this.#loop.catch(() => undefined);
  }

  async #run(reader: RedisConnection): Promise<string> {
    try {
      const last = (await reader.xrevrange(this.#stream, '+', '-', 'COUNT', 1))[0];
      let lastId = last?.[0] ?? '0-0';
      while (!this.#closed && this.#count > 0) {
        const reply = (await reader.xread(
          'COUNT',
          1000,
          'BLOCK',
          1000,
          'STREAMS',
          this.#stream,
          lastId,
        )) as Array<[string, Array<[string, string[]]>]> | null;
        for (const [, entries] of reply ?? []) {
          for (const [id, fields] of entries) {
            lastId = id;
            const at = fields.indexOf('jobId');
            const waiters = at === -1 ? undefined : this.#waiters.get(fields[at + 1] ?? '');
            const json = fields[fields.indexOf('outcome') + 1];
            if (waiters === undefined || json === undefined) continue;
            const outcome = JSON.parse(json) as CallOutcome;
            for (const w of waiters) w.resolve(outcome);
          }
        }
      }
      return lastId;
    } catch (error) {
      for (const set of this.#waiters.values()) for (const w of set) w.reject(error);
      throw error;
    } finally {
      this.#loop = undefined;
      if (!this.#closed && this.#count > 0) this.#ensureLoop();
    }
  }

  /** Ends the reader; waiting polls get an error. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const set of this.#waiters.values())
      for (const w of set) w.reject(new Error('outcome waiters closed'));
    this.#reader?.disconnect();
    await this.#loop?.catch(() => undefined);
  }
}
