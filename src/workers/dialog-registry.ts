import type { RedisConnection } from '../redis/index.js';
import type { DialerKeys } from '../kernel/index.js';
import type { DialogSnapshot } from '../sip/index.js';

/** One call a worker has up, as kept in Redis for whoever must end it if that worker dies. */
export interface RegisteredDialog {
  /** The worker that placed the call. */
  readonly workerId: string;
  readonly attemptId: string;
  readonly jobId: string;
  /** E.164: the number's fence is released once the call is ended. */
  readonly number: string;
  readonly snapshot: DialogSnapshot;
}

export interface DialogRegistryOptions {
  readonly redis: RedisConnection;
  readonly keys: DialerKeys;
  readonly workerId: string;
}

/**
 * This worker's calls in Redis (`dialogs:<worker>`, one field per attempt): written when a call
 * rings and again when it is answered, dropped by the fence when the attempt finishes (same
 * connection, so never before it was written). An orphan sweeper reads it once this worker's
 * liveness lease lapses.
 */
export class DialogRegistry {
  readonly #redis: RedisConnection;
  readonly #key: string;
  readonly #workerId: string;

  constructor(options: DialogRegistryOptions) {
    this.#redis = options.redis;
    this.#key = options.keys.workerDialogs(options.workerId);
    this.#workerId = options.workerId;
  }

  async put(entry: Omit<RegisteredDialog, 'workerId'>): Promise<void> {
    const full: RegisteredDialog = { workerId: this.#workerId, ...entry };
    await this.#redis.hset(this.#key, entry.attemptId, JSON.stringify(full));
  }

  /** How many calls this worker has registered. */
  async size(): Promise<number> {
    return this.#redis.hlen(this.#key);
  }
}
