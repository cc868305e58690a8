import type { DialerKeys } from '../kernel/index.js';
import type { Logger } from '../log/index.js';
import { LuaScript, type RedisConnection } from '../redis/index.js';

// Gone with its worker's calls: the sweepers need not look at this worker again.
const RELEASE = new LuaScript(
  'worker-lease-release',
  `
redis.call('DEL', KEYS[1])
if redis.call('EXISTS', KEYS[2]) == 0 and redis.call('EXISTS', KEYS[3]) == 0 then
  redis.call('SREM', KEYS[4], ARGV[1])
end
return 1
`,
);

export interface WorkerLeaseOptions {
  readonly redis: RedisConnection;
  readonly keys: DialerKeys;
  readonly workerId: string;
  readonly logger: Logger;
  /** How long the lease outlives its last renewal: other workers end our calls after it. Default: 5 s. */
  readonly ttlMs?: number;
}

/**
 * This worker's liveness lease in Redis, renewed five times per TTL. While it stands nobody
 * touches our calls; once it lapses (the process died, or its event loop or Redis link stalled
 * past the TTL) another worker ends them. Ending a stalled worker's call is the safe side: the
 * person hears a hang-up, never a second call.
 */
export class WorkerLease {
  readonly #o: WorkerLeaseOptions;
  readonly #ttlMs: number;
  #timer: NodeJS.Timeout | undefined;
  #renewing: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  #lapsedLogged = false;

  constructor(options: WorkerLeaseOptions) {
    this.#o = options;
    this.#ttlMs = options.ttlMs ?? 5_000;
  }

  get ttlMs(): number {
    return this.#ttlMs;
  }

  /** Takes the lease and keeps renewing it until close(). */
  async start(): Promise<void> {
    const { redis, keys, workerId } = this.#o;
    await redis
      .multi()
      .set(keys.workerLease(workerId), String(Date.now()), 'PX', this.#ttlMs)
      .sadd(keys.dialogOwners, workerId)
      .exec();
    this.#timer = setInterval(() => {
      this.#renewing ??= this.#renew().finally(() => (this.#renewing = undefined));
    }, this.#ttlMs / 5);
  }

  async #renew(): Promise<void> {
    const { redis, keys, workerId, logger } = this.#o;
    try {
      const previous = await redis.set(
        keys.workerLease(workerId),
        String(Date.now()),
        'PX',
        this.#ttlMs,
        'GET',
      );
      if (previous === null && !this.#lapsedLogged) {
        this.#lapsedLogged = true;
        logger.error(
          { workerId, ttlMs: this.#ttlMs },
          'liveness lease had lapsed (this process or its Redis link stalled): other workers may have ended its calls',
        );
        await redis.sadd(keys.dialogOwners, workerId);
      } else if (previous !== null) this.#lapsedLogged = false;
    } catch (error) {
      logger.warn({ err: error }, 'liveness lease not renewed');
    }
  }

  /** Stops renewing and drops the lease; call once this worker's calls are over. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      clearInterval(this.#timer);
      await this.#renewing;
      const { redis, keys, workerId } = this.#o;
      await RELEASE.run(
        redis,
        [
          keys.workerLease(workerId),
          keys.workerDialogs(workerId),
          keys.workerOrphans(workerId),
          keys.dialogOwners,
        ],
        [workerId],
      ).catch((error: unknown) => this.#o.logger.warn({ err: error }, 'liveness lease not released'));
    })();
    return this.#closing;
  }
}
