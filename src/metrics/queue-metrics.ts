import { Gauge, type Registry } from 'prom-client';
import { withTimeout } from './with-timeout.js';

/** What queue metrics read from a BullMQ Queue. */
export interface QueueSource {
  readonly name: string;
  getJobCounts(...types: string[]): Promise<Record<string, number>>;
  getRateLimitTtl(): Promise<number>;
}

export interface QueueMetricsOptions {
  /** The queues to report, asked on every scrape (the set may change). */
  readonly queues: () => Iterable<QueueSource>;
  /** A queue that does not answer within this long is left out of the scrape. Default: 2000 ms. */
  readonly timeoutMs?: number;
}

/** Job states reported; each is one O(1) Redis read (LLEN/ZCARD) in BullMQ's getJobCounts. */
export const QUEUE_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'paused', 'failed'] as const;

/**
 * Queue depth per state and the queue-wide rate limit, read from Redis when scraped: a bounded
 * cost (a few counts per queue), nothing kept in between.
 */
export function registerQueueMetrics(registry: Registry, options: QueueMetricsOptions): void {
  const timeoutMs = options.timeoutMs ?? 2000;
  new Gauge({
    name: 'dialer_queue_jobs',
    help: 'Jobs in a BullMQ queue by state (delayed holds retries, paced and deferred calls)',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      this.reset();
      await Promise.all(
        [...options.queues()].map(async (queue) => {
          const counts = await withTimeout(queue.getJobCounts(...QUEUE_STATES), timeoutMs, undefined);
          if (!counts) return;
          for (const state of QUEUE_STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
        }),
      );
    },
  });
  new Gauge({
    name: 'dialer_queue_rate_limit_seconds',
    help: 'Time left of a queue-wide rate limit set on the queue (0: none)',
    labelNames: ['queue'],
    registers: [registry],
    async collect() {
      this.reset();
      await Promise.all(
        [...options.queues()].map(async (queue) => {
          const ttl = await withTimeout(queue.getRateLimitTtl(), timeoutMs, undefined);
          if (ttl !== undefined) this.set({ queue: queue.name }, Math.max(0, ttl) / 1000);
        }),
      );
    },
  });
}
