import type { Queue } from 'bullmq';
import type { RedisConnection } from '../redis/index.js';
import type { Logger } from '../log/index.js';
import type { CallLifecycleEvent } from '../jobs/index.js';
import { callbackEventOf, isCallbackEvent } from './callback-event.js';
import type { CallbackDeliveryJob } from './callback-delivery-job.js';
import type { CallbackKeys } from './callback-keys.js';

export interface CallbackPublisherOptions {
  readonly redis: RedisConnection;
  readonly keys: CallbackKeys;
  readonly queue: Queue<CallbackDeliveryJob>;
  /** The job's own callback URL (from its data), if any. */
  readonly jobUrl: (jobId: string, trunk: string) => Promise<string | undefined>;
  /** The campaign's callback URL, if any. */
  readonly campaignUrl: (campaign: string) => Promise<string | undefined>;
  readonly maxAttempts: number;
  readonly backoffMs: number;
  /** How long sequence keys live after a job's last event. */
  readonly keyTtlMs: number;
  readonly logger: Logger;
}

/** Jobs whose URL is remembered; a worker has at most its channels' worth of live calls. */
const MAX_CACHED_URLS = 10_000;

/**
 * Turns lifecycle events into queued deliveries. `publish` is the worker's `call` listener: it
 * only chains work and returns, so a slow Redis or receiver never holds a call. Events of one job
 * are numbered and queued in the order they happened.
 */
export class CallbackPublisher {
  readonly #o: CallbackPublisherOptions;
  readonly #chains = new Map<string, Promise<void>>();
  readonly #urls = new Map<string, Promise<string | undefined>>();

  constructor(options: CallbackPublisherOptions) {
    this.#o = options;
  }

  readonly publish = (event: CallLifecycleEvent): void => {
    if (!isCallbackEvent(event)) return;
    const { jobId } = event;
    const previous = this.#chains.get(jobId) ?? Promise.resolve();
    const next = previous
      .then(() => this.#enqueue(event))
      .catch((error: unknown) =>
        this.#o.logger.warn(
          { err: error, jobId, event: event.type },
          'status callback could not be queued; it is lost',
        ),
      );
    this.#chains.set(jobId, next);
    void next.finally(() => {
      if (this.#chains.get(jobId) === next) this.#chains.delete(jobId);
    });
  };

  /** Resolves once every event published so far is queued (or logged as lost). */
  async flush(): Promise<void> {
    while (this.#chains.size > 0) await Promise.all([...this.#chains.values()]);
  }

  async #enqueue(event: CallLifecycleEvent): Promise<void> {
    if (!isCallbackEvent(event)) return;
    const url = await this.#urlFor(event.jobId, event.trunk, event.campaign);
    if (event.type === 'completed') this.#urls.delete(event.jobId);
    if (url === undefined) return;
    const { redis, keys, keyTtlMs } = this.#o;
    const reply = await redis
      .multi()
      .incr(keys.sequence(event.jobId))
      .pexpire(keys.sequence(event.jobId), keyTtlMs)
      .exec();
    const sequence = Number(reply?.[0]?.[1]);
    if (!Number.isInteger(sequence) || sequence < 1) throw new Error('no callback sequence from Redis');
    const body = callbackEventOf(event, sequence);
    await this.#o.queue.add(
      event.type,
      {
        url,
        body: JSON.stringify(body),
        type: event.type,
        eventId: body.id,
        jobId: event.jobId,
        trunk: event.trunk,
        ...(event.campaign !== undefined ? { campaign: event.campaign } : {}),
        sequence,
      },
      {
        attempts: this.#o.maxAttempts,
        backoff: { type: 'exponential', delay: this.#o.backoffMs },
        removeOnComplete: true,
        removeOnFail: { age: 7 * 86_400 },
      },
    );
  }

  #urlFor(jobId: string, trunk: string, campaign: string | undefined): Promise<string | undefined> {
    let url = this.#urls.get(jobId);
    if (!url) {
      url = (async () =>
        (await this.#o.jobUrl(jobId, trunk)) ??
        (campaign !== undefined ? await this.#o.campaignUrl(campaign) : undefined))();
      // A failed lookup is not remembered: the next event asks again.
      url.catch(() => this.#urls.delete(jobId));
      if (this.#urls.size >= MAX_CACHED_URLS) {
        const oldest = this.#urls.keys().next().value;
        if (oldest !== undefined) this.#urls.delete(oldest);
      }
      this.#urls.set(jobId, url);
    }
    return url;
  }
}
