import { Queue } from 'bullmq';
import type { RedisConnection } from '../redis/index.js';
import type { CallbacksConfig } from '../config/index.js';
import type { Logger } from '../log/index.js';
import type { CallLifecycleEvent } from '../jobs/index.js';
import type { CallbackDeliveryJob } from './callback-delivery-job.js';
import { CallbackKeys } from './callback-keys.js';
import { CallbackPublisher } from './callback-publisher.js';
import { CallbackWorker } from './callback-worker.js';
import { CampaignCompletionDrain } from './campaign-completion-drain.js';

export interface StatusCallbacksOptions {
  readonly config: CallbacksConfig;
  readonly redis: RedisConnection;
  /** The dialer's hash-tagged prefix (`config.queuePrefix`). */
  readonly prefix: string;
  /** Base of a trunk queue's keys (`DialerKeys.queueKey`), to read a job's own URL. */
  readonly queueKey: (trunk: string) => string;
  readonly campaignUrl: (campaign: string) => Promise<string | undefined>;
  /** `DialerKeys.campaignCompletions`: where campaign completions wait for their callback. */
  readonly completionsKey: string;
  /** How often completions are looked for besides when this process completes one. */
  readonly completionSweepMs?: number;
  readonly logger: Logger;
}

// Sequence marks outlive the longest a job's retries may spread (calling hours, busy retries).
const KEY_TTL_MS = 14 * 86_400_000;
// A completion this process did not write (a resume from the API, a worker that died after its
// last outcome) is queued within this long; its own are queued at once.
const COMPLETION_SWEEP_MS = 10_000;

/**
 * Status callbacks of one worker process: events are queued in Redis (`<prefix>:callbacks`) as
 * they happen and delivered by a BullMQ worker in the same process, signed and retried. Any
 * worker process may deliver any event; a job's events still arrive in order.
 */
export class StatusCallbacks {
  readonly #publisher: CallbackPublisher;
  readonly #worker: CallbackWorker;
  readonly #queue: Queue<CallbackDeliveryJob>;
  readonly #completions: CampaignCompletionDrain;
  readonly #logger: Logger;
  #closing: Promise<void> | undefined;

  private constructor(
    publisher: CallbackPublisher,
    worker: CallbackWorker,
    queue: Queue<CallbackDeliveryJob>,
    completions: CampaignCompletionDrain,
    logger: Logger,
  ) {
    this.#publisher = publisher;
    this.#worker = worker;
    this.#queue = queue;
    this.#completions = completions;
    this.#logger = logger;
  }

  static start(options: StatusCallbacksOptions): StatusCallbacks {
    const { config, redis, logger } = options;
    const keys = new CallbackKeys(options.prefix);
    const queue = new Queue<CallbackDeliveryJob>(keys.queueName, { connection: redis, prefix: keys.prefix });
    queue.on('error', (error) => logger.warn({ err: error }, 'callback queue error'));
    const publisher = new CallbackPublisher({
      redis,
      keys,
      queue,
      jobUrl: async (jobId, trunk) => {
        // One HGET of the BullMQ job hash: the URL rides in the job data the producer validated.
        const data = await redis.hget(`${options.queueKey(trunk)}:${jobId}`, 'data');
        if (data === null) return undefined;
        const url = (JSON.parse(data) as { callbackUrl?: unknown }).callbackUrl;
        return typeof url === 'string' ? url : undefined;
      },
      campaignUrl: options.campaignUrl,
      maxAttempts: config.maxAttempts,
      backoffMs: config.backoffMs,
      keyTtlMs: KEY_TTL_MS,
      logger,
    });
    const worker = new CallbackWorker({
      redis,
      keys,
      secret: config.secret,
      timeoutMs: config.timeoutMs,
      maxAttempts: config.maxAttempts,
      backoffMs: config.backoffMs,
      concurrency: config.concurrency,
      perHostConcurrency: config.perHostConcurrency,
      allowPrivate: config.allowPrivate,
      keyTtlMs: KEY_TTL_MS,
      logger,
    });
    const completions = new CampaignCompletionDrain({
      redis,
      noticesKey: options.completionsKey,
      queue,
      maxAttempts: config.maxAttempts,
      backoffMs: config.backoffMs,
      sweepMs: options.completionSweepMs ?? COMPLETION_SWEEP_MS,
      logger,
    });
    return new StatusCallbacks(publisher, worker, queue, completions, logger);
  }

  /** The queue name, for metrics. */
  static readonly queueName = new CallbackKeys('').queueName;

  /** The DialerWorker `call` listener: returns at once, never throws. */
  readonly publish = (event: CallLifecycleEvent): void => {
    this.#publisher.publish(event);
    if (event.type === 'completed' && event.campaignCompletedAt !== undefined) this.#completions.drainSoon();
  };

  /** Queues every campaign completion waiting for its callback now (a sweep does it anyway). */
  drainCompletions(): Promise<void> {
    return this.#completions.drain();
  }

  /**
   * Queues what was published, then stops delivering (deliveries in flight finish; the rest stay
   * queued for any other worker process). Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#completions.close();
      await this.#publisher
        .flush()
        .catch((error: unknown) => this.#logger.warn({ err: error }, 'callback flush failed'));
      await this.#worker.close();
      await this.#queue.close();
    })();
    return this.#closing;
  }
}
