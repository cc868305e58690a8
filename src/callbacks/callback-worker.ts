import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { RedisConnection } from '../redis/index.js';
import type { Logger } from '../log/index.js';
import type { CallbackDeliveryJob } from './callback-delivery-job.js';
import { CallbackLanes } from './callback-lanes.js';
import { CallbackDestinationError } from './callback-destination-error.js';
import { CallbackDestinations } from './callback-destinations.js';
import type { CallbackKeys } from './callback-keys.js';
import {
  DELIVERY_HEADER,
  EVENT_HEADER,
  SIGNATURE_HEADER,
  signCallback,
  TIMESTAMP_HEADER,
} from './callback-signature.js';
import { createCallbackAgents, deliverCallback, type CallbackAgents } from './deliver-callback.js';

export interface CallbackWorkerOptions {
  readonly redis: RedisConnection;
  readonly keys: CallbackKeys;
  readonly secret: string;
  readonly timeoutMs: number;
  readonly maxAttempts: number;
  readonly backoffMs: number;
  readonly concurrency: number;
  /** Deliveries in flight to one receiver (URL origin); default: all of `concurrency`. */
  readonly perHostConcurrency?: number;
  readonly keyTtlMs: number;
  readonly logger: Logger;
  readonly userAgent?: string;
  /** `callbacks.allowPrivate`: non-public networks and host names deliveries may go to. */
  readonly allowPrivate?: readonly string[];
}

// Raises the settled mark of a job to this sequence, never lowers it.
const SETTLE = `
local done = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > done then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
return 1
`;

/**
 * Delivers queued callbacks: signs each attempt with a fresh timestamp, retries with exponential
 * backoff (BullMQ attempts), and keeps a job's events in order: event n waits (a delayed job, not
 * an attempt) until n-1 is settled, delivered or given up on. At most `perHostConcurrency`
 * deliveries go to one receiver at a time; the rest of its events wait as delayed jobs, not in
 * the worker's slots, so other receivers' events keep flowing past a hung one.
 */
export class CallbackWorker {
  readonly #o: CallbackWorkerOptions;
  readonly #worker: Worker<CallbackDeliveryJob, number>;
  readonly #agents: CallbackAgents;
  readonly #destinations: CallbackDestinations;
  readonly #lanes: CallbackLanes;
  /** How long an event waits for a predecessor that may never settle (its queueing failed). */
  readonly #maxWaitMs: number;
  readonly #pollMs: number;
  #closing: Promise<void> | undefined;

  constructor(options: CallbackWorkerOptions) {
    this.#o = options;
    this.#agents = createCallbackAgents();
    this.#destinations = new CallbackDestinations(options.allowPrivate);
    this.#lanes = new CallbackLanes(options.perHostConcurrency ?? options.concurrency);
    // Every attempt of a predecessor, its backoffs and timeouts, twice over.
    this.#maxWaitMs =
      2 * (options.backoffMs * 2 ** options.maxAttempts + options.timeoutMs * options.maxAttempts);
    this.#pollMs = Math.max(50, Math.min(options.backoffMs, 1000));
    this.#worker = new Worker<CallbackDeliveryJob, number>(
      options.keys.queueName,
      (job, token) => this.#process(job, token),
      {
        connection: options.redis,
        prefix: options.keys.prefix,
        concurrency: options.concurrency,
        autorun: true,
        drainDelay: 1,
      },
    );
    this.#worker.on('error', (error) => options.logger.warn({ err: error }, 'callback worker error'));
  }

  async #process(job: Job<CallbackDeliveryJob, number>, token: string | undefined): Promise<number> {
    const { jobId, sequence, eventId, url } = job.data;
    const { redis, keys } = this.#o;
    const settled = Number((await redis.get(keys.settled(jobId))) ?? 0);
    if (sequence <= settled) return 0;
    if (sequence > settled + 1 && Date.now() - job.timestamp < this.#maxWaitMs) {
      await job.moveToDelayed(Date.now() + this.#pollMs, token);
      throw new DelayedError();
    }
    const lane = CallbackLanes.laneOf(url);
    const id = job.id ?? eventId;
    if (!this.#lanes.tryEnter(lane)) {
      // A slot of the lane frees within one delivery timeout at the latest.
      const waitMs = this.#lanes.deferFor(id, this.#pollMs, Math.max(this.#pollMs, this.#o.timeoutMs));
      await job.moveToDelayed(Date.now() + waitMs, token);
      throw new DelayedError();
    }
    this.#lanes.entered(id);
    try {
      return await this.#deliver(job);
    } finally {
      this.#lanes.leave(lane);
    }
  }

  async #deliver(job: Job<CallbackDeliveryJob, number>): Promise<number> {
    const { jobId, trunk, campaign, sequence, eventId, type, url, body } = job.data;
    const timestamp = Math.floor(Date.now() / 1000);
    try {
      const status = await deliverCallback({
        url,
        body,
        timeoutMs: this.#o.timeoutMs,
        agents: this.#agents,
        destinations: this.#destinations,
        headers: {
          'user-agent': this.#o.userAgent ?? 'sip-dialer-callbacks/0.1',
          [EVENT_HEADER]: type,
          [DELIVERY_HEADER]: eventId,
          [TIMESTAMP_HEADER]: String(timestamp),
          [SIGNATURE_HEADER]: signCallback(this.#o.secret, timestamp, body),
        },
      });
      await this.#settle(jobId, sequence);
      return status;
    } catch (error) {
      const attempt = job.attemptsMade + 1;
      if (error instanceof CallbackDestinationError) {
        // Retrying cannot make the address public: give the event up now, and say why.
        this.#o.logger.warn(
          { err: error, jobId, trunk, campaign, event: type, eventId, attempt, giveUp: true },
          'status callback destination refused; giving up on this event',
        );
        await this.#settle(jobId, sequence);
        throw new UnrecoverableError(error.message);
      }
      const last = attempt >= (job.opts.attempts ?? 1);
      this.#o.logger.warn(
        { err: error, jobId, trunk, campaign, event: type, eventId, attempt, giveUp: last },
        last ? 'status callback failed; giving up on this event' : 'status callback failed; will retry',
      );
      if (last) await this.#settle(jobId, sequence);
      throw error;
    }
  }

  async #settle(jobId: string, sequence: number): Promise<void> {
    await this.#o.redis.eval(SETTLE, 1, this.#o.keys.settled(jobId), sequence, this.#o.keyTtlMs);
  }

  /** Lets deliveries in flight finish (each within the timeout), then stops. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#worker.close();
      this.#agents.http.destroy();
      this.#agents.https.destroy();
    })();
    return this.#closing;
  }
}
