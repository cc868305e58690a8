import type { Queue } from 'bullmq';
import type { RedisConnection } from '../redis/index.js';
import type { Logger } from '../log/index.js';
import type { CallbackDeliveryJob } from './callback-delivery-job.js';
import { campaignCompletedEventOf } from './campaign-completed-event.js';
import { parseCompletionNotice } from './campaign-completion-notice.js';

export interface CampaignCompletionDrainOptions {
  readonly redis: RedisConnection;
  /** `DialerKeys.campaignCompletions`: the notices the completing step writes. */
  readonly noticesKey: string;
  readonly queue: Queue<CallbackDeliveryJob>;
  readonly maxAttempts: number;
  readonly backoffMs: number;
  /** How often notices are looked for besides when this process completes a campaign. */
  readonly sweepMs: number;
  readonly logger: Logger;
}

/** Notices read per round trip. */
const BATCH = 100;
// A queued completion is kept this long after its delivery, so a second drainer that read the
// same notice before it was removed adds nothing (BullMQ ignores an add of an existing job id).
const KEEP_DELIVERED_S = 86_400;

/**
 * Turns campaign completion notices into `campaign.completed` deliveries: exactly one per
 * completion, however many worker processes drain and however often. Each notice becomes a
 * queued job whose BullMQ id is made of the campaign and its completedAt, and is removed only
 * once that job is queued: a crash in between re-adds the same id, which BullMQ ignores.
 */
export class CampaignCompletionDrain {
  readonly #o: CampaignCompletionDrainOptions;
  readonly #timer: NodeJS.Timeout;
  #draining: Promise<void> | undefined;
  #again = false;
  #closing: Promise<void> | undefined;

  constructor(options: CampaignCompletionDrainOptions) {
    this.#o = options;
    // Catches completions this process did not write (a resume, another worker that died before
    // draining) and notices a failed drain left.
    this.#timer = setInterval(() => this.drainSoon(), options.sweepMs);
    this.#timer.unref();
    this.drainSoon();
  }

  /** Starts a drain, or one more after the one under way (a notice may be newer than its read). */
  drainSoon(): void {
    void this.drain().catch((error: unknown) =>
      this.#o.logger.warn({ err: error }, 'campaign completion callbacks not queued yet; will retry'),
    );
  }

  /** Resolves once every notice present when it was called is queued (or rejects). */
  drain(): Promise<void> {
    if (this.#closing) return Promise.resolve();
    if (this.#draining) {
      this.#again = true;
      return this.#draining;
    }
    const run = (async () => {
      try {
        do {
          this.#again = false;
          await this.#drainAll();
        } while (this.#again);
      } finally {
        this.#draining = undefined;
      }
    })();
    this.#draining = run;
    return run;
  }

  async #drainAll(): Promise<void> {
    const { redis, noticesKey } = this.#o;
    for (;;) {
      const members = await redis.zrange(noticesKey, '0', String(BATCH - 1));
      for (const member of members) {
        await this.#enqueue(member);
        await redis.zrem(noticesKey, member);
      }
      if (members.length < BATCH) return;
    }
  }

  async #enqueue(member: string): Promise<void> {
    const notice = parseCompletionNotice(member);
    if (!notice) {
      this.#o.logger.warn(
        { notice: member.slice(0, 200) },
        'campaign completion notice not understood; dropped',
      );
      return;
    }
    const event = campaignCompletedEventOf(notice);
    await this.#o.queue.add(
      event.type,
      {
        url: notice.url,
        body: JSON.stringify(event),
        type: event.type,
        eventId: event.id,
        // The ordering key: one event in its own line, so it goes at once.
        jobId: event.id,
        trunk: notice.trunk,
        campaign: notice.campaign,
        sequence: 1,
      },
      {
        // Names are [a-z0-9_-] and BullMQ refuses ':' in an id.
        jobId: `campaign-completed-${notice.campaign}-${notice.completedAt}`,
        attempts: this.#o.maxAttempts,
        backoff: { type: 'exponential', delay: this.#o.backoffMs },
        removeOnComplete: { age: KEEP_DELIVERED_S },
        removeOnFail: { age: 7 * 86_400 },
      },
    );
  }

  /** Stops sweeping and waits for a drain under way. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      clearInterval(this.#timer);
      await this.#draining?.catch(() => undefined);
    })();
    return this.#closing;
  }
}
