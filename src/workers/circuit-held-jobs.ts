import { Queue } from 'bullmq';
import type { RedisConnection } from '../redis/index.js';
import type { DialerKeys } from '../kernel/index.js';
import type { Logger } from '../log/index.js';

export interface CircuitHeldJobsOptions {
  /** Shared connection; not closed here. */
  readonly redis: RedisConnection;
  readonly keys: DialerKeys;
  readonly trunk: string;
  readonly logger: Logger;
  /** How long after a release the jobs that were being put back at that moment are looked at again. Default 2000 ms. */
  readonly secondPassMs?: number;
}

/**
 * The jobs a trunk's circuit put back (open, or held by a suspected trunk fault), kept in a Redis
 * set by the dial gate. They wait as delayed jobs for as long as the circuit may stay open (10 min
 * for credentials); when it closes, or a restarted worker wants a probe, `release()` promotes them
 * so the trunk's numbers are dialled as soon as it is healthy, not when their delay runs out.
 */
export class CircuitHeldJobs {
  readonly #o: CircuitHeldJobsOptions;
  readonly #queue: Queue;
  readonly #key: string;
  readonly #timers = new Set<NodeJS.Timeout>();
  #closed: Promise<void> | undefined;

  constructor(options: CircuitHeldJobsOptions) {
    this.#o = options;
    this.#key = options.keys.circuitHeld(options.trunk);
    this.#queue = new Queue(options.keys.queueName(options.trunk), {
      connection: options.redis,
      prefix: options.keys.queuePrefix(options.trunk),
    });
    // The worker logs its shared connection's errors once; unheard, BullMQ prints them raw.
    this.#queue.on('error', () => undefined);
  }

  /**
   * Promotes every held job that is delayed. A job being put back at this very moment is not
   * delayed yet: it is looked at once more `secondPassMs` later, then forgotten either way.
   */
  async release(): Promise<void> {
    if (this.#closed) return;
    const promoted = await this.#pass(false);
    if (promoted > 0) this.#o.logger.info({ promoted }, 'trunk healthy again: held jobs released');
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (this.#closed) return;
      this.#pass(true).catch((error: unknown) =>
        this.#o.logger.warn({ err: error }, 'could not release held jobs'),
      );
    }, this.#o.secondPassMs ?? 2000);
    timer.unref();
    this.#timers.add(timer);
  }

  async #pass(last: boolean): Promise<number> {
    let promoted = 0;
    let cursor = '0';
    do {
      const [next, ids] = await this.#o.redis.sscan(this.#key, cursor, 'COUNT', 500);
      cursor = next;
      const done: string[] = [];
      for (const id of ids) {
        const job = await this.#queue.getJob(id);
        const state = job ? await job.getState() : 'unknown';
        if (job && state === 'delayed') {
          try {
            await job.promote();
            promoted += 1;
          } catch {
            // Taken or finished meanwhile: nothing to do.
          }
          done.push(id);
        } else if (last || (state !== 'active' && state !== 'waiting' && state !== 'prioritized')) {
          done.push(id);
        }
      }
      if (done.length > 0) await this.#o.redis.srem(this.#key, ...done);
    } while (cursor !== '0');
    return promoted;
  }

  /** Stops the pending second pass and closes its queue handle (not the shared connection). Idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      for (const timer of this.#timers) clearTimeout(timer);
      this.#timers.clear();
      await this.#queue.close();
    })();
    return this.#closed;
  }
}
