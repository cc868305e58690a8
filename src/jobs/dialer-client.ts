import { Queue, type JobsOptions } from 'bullmq';
import type { CallOutcome } from './call-outcome.js';
import type { DialJob } from './dial-job.js';
import { DialerKeys, type RedisTarget } from '../kernel/index.js';
import {
  createRedisConnection,
  duplicateRedisConnection,
  queueUntilFirstReady,
  isRedisRefusal,
  isRedisTarget,
  RedisAvailability,
  REDIS_READY_TIMEOUT_MS,
  type RedisConnection,
} from '../redis/index.js';
import { jobIdFor } from './job-id.js';
import { OutcomeStore } from './outcome-store.js';
import { TrunkDirectory, type TrunkInfo } from './trunk-directory.js';
import { validateJobInput, type EnqueueCallInput } from './validate-job-input.js';
import { OutcomeTimeoutError } from './outcome-timeout-error.js';

export interface DialerClientOptions {
  /**
   * A Redis URL, a Sentinel group `{ sentinels, name }`, a cluster `{ cluster }`, or an ioredis
   * `Redis` or `Cluster` (then owned by the caller). Default: `redis://127.0.0.1:6379`.
   */
  readonly redis?: RedisTarget | RedisConnection;
  /** Key prefix; must match the workers'. Default: `{dialer}`. */
  readonly prefix?: string;
  /** Trunks to validate against. Default: those the workers published in Redis. */
  readonly trunks?: ReadonlyArray<Omit<TrunkInfo, 'publishedAt'>>;
  /**
   * How long an enqueue or a read waits for a connection that is not ready (Redis down, or
   * refusing the login) before it rejects with RedisUnreachableError (`REDIS_UNREACHABLE`).
   * Default 2000 ms.
   */
  readonly readyTimeoutMs?: number;
  /** Names the Redis in errors when `redis` is an instance (a URL's password is masked). */
  readonly redisUrl?: RedisTarget;
}

export interface EnqueuedCall {
  readonly jobId: string;
  /** E.164. */
  readonly number: string;
  readonly trunk: string;
  /** True when this job id was already queued (same campaign and number, or same idempotency key). */
  readonly duplicate: boolean;
}

export type EnqueueManyResult =
  | { readonly ok: true; readonly call: EnqueuedCall }
  | { readonly ok: false; readonly index: number; readonly error: Error };

/**
 * Default BullMQ options of a dial job. Call retries are the dialer's (delayed jobs that do not
 * count here); BullMQ's attempts only cover the worker itself failing (Redis gone mid-job, a
 * bug), and the attempt fence makes such a re-run safe.
 */
export const DIAL_JOB_OPTIONS: JobsOptions = Object.freeze({
  attempts: 10,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 7 * 86_400 },
  removeOnFail: { age: 30 * 86_400 },
});

/**
 * The typed producer: other services enqueue calls and read outcomes with a Redis URL and
 * nothing else. Input is normalised and validated here, at the edge.
 */
export class DialerClient {
  readonly keys: DialerKeys;
  readonly #redis: RedisConnection;
  readonly #ownsRedis: boolean;
  /**
   * The queues' connection: a failed add must stay failed. With ioredis's defaults an add queued
   * while Redis was away, or in flight when the link dropped, runs on reconnect, after the caller
   * was told it failed; a caller that retried (an API client after a 503) would have its number
   * dialled twice. This connection keeps no offline queue and resends nothing. The same as
   * `#redis` when the caller handed in its own connection.
   */
  readonly #producer: RedisConnection;
  readonly #producerAvailability: RedisAvailability;
  readonly #queues = new Map<string, Queue>();
  readonly #directory: TrunkDirectory;
  readonly #outcomes: OutcomeStore;
  readonly #localTrunks: Map<string, TrunkInfo> | undefined;
  readonly #availability: RedisAvailability;
  readonly #readyTimeoutMs: number;
  #closed = false;

  constructor(options: DialerClientOptions = {}) {
    this.keys = new DialerKeys(options.prefix ?? '{dialer}');
    const target = options.redis === undefined || isRedisTarget(options.redis) ? options.redis : undefined;
    if (options.redis !== undefined && target === undefined) {
      this.#redis = options.redis as RedisConnection;
      this.#ownsRedis = false;
    } else {
      this.#redis = createRedisConnection(target ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
      // ioredis reconnects by itself and commands wait for it; without a listener it would
      // print every refused reconnect to stderr.
      this.#redis.on('error', () => undefined);
      this.#ownsRedis = true;
    }
    const url = options.redisUrl ?? target;
    this.#availability = new RedisAvailability(this.#redis, url);
    if (this.#ownsRedis) {
      this.#producer = duplicateRedisConnection(this.#redis, {
        enableOfflineQueue: false,
        autoResendUnfulfilledCommands: false,
      });
      this.#producer.on('error', () => undefined);
      this.#producerAvailability = new RedisAvailability(this.#producer, url);
      // A queue asked for first thing (`queue(trunk).getJobCounts()`) waits, bounded, for the
      // Cluster's slots instead of failing with "Cluster isn't ready".
      if (this.#producer.isCluster) {
        const availability = this.#producerAvailability;
        const timeoutMs = options.readyTimeoutMs ?? REDIS_READY_TIMEOUT_MS;
        queueUntilFirstReady(this.#producer, timeoutMs, () =>
          availability.unavailable(new Error(`the cluster was not ready within ${timeoutMs} ms`)),
        );
      }
    } else {
      this.#producer = this.#redis;
      this.#producerAvailability = this.#availability;
    }
    this.#readyTimeoutMs = options.readyTimeoutMs ?? REDIS_READY_TIMEOUT_MS;
    this.#directory = new TrunkDirectory(this.#redis, this.keys);
    this.#outcomes = new OutcomeStore({ redis: this.#redis, keys: this.keys });
    this.#localTrunks = options.trunks
      ? new Map(options.trunks.map((t) => [t.name, { ...t, publishedAt: 0 }]))
      : undefined;
  }

  get redis(): RedisConnection {
    return this.#redis;
  }

  /** The BullMQ queue of a trunk (created on first use, closed with the client). */
  queue(trunk: string): Queue {
    let queue = this.#queues.get(trunk);
    if (!queue) {
      queue = new Queue(this.keys.queueName(trunk), {
        connection: this.#producer,
        prefix: this.keys.queuePrefix(trunk),
      });
      // Connection errors surface on the commands that fail; BullMQ would also print each one.
      queue.on('error', () => undefined);
      this.#queues.set(trunk, queue);
      const made = queue;
      // A queue whose start failed (INFO refused to an ACL user without rights) fails every add
      // for good; forgetting it lets the next call start a fresh one once Redis is fixed.
      made.waitUntilReady().catch(() => {
        if (this.#queues.get(trunk) === made) this.#queues.delete(trunk);
        void made.close().catch(() => undefined);
      });
    }
    return queue;
  }

  /**
   * Runs one Redis-backed operation once the connection is ready (bounded wait), and gives up on
   * it when the connection drops mid-way and stays down (bounded too): against a Redis that is
   * down or refuses us it rejects with RedisUnreachableError naming the URL, instead of queueing
   * behind ioredis's reconnects (and BullMQ's wait for `ready`) forever.
   */
  async #withRedis<T>(operation: () => Promise<T>): Promise<T> {
    await this.#availability.ensure(this.#readyTimeoutMs);
    if (this.#producer !== this.#redis) await this.#producerAvailability.ensure(this.#readyTimeoutMs);
    try {
      return await this.#availability.watch(operation(), this.#readyTimeoutMs);
    } catch (error) {
      if (isRedisRefusal(error)) throw this.#availability.unavailable(error);
      throw error;
    }
  }

  async #trunks(): Promise<ReadonlyMap<string, TrunkInfo>> {
    return this.#localTrunks ?? this.#withRedis(() => this.#directory.all());
  }

  /** What the fleet (or the trunks handed in) says of one trunk; undefined when it is unknown. */
  async trunkInfo(name: string): Promise<TrunkInfo | undefined> {
    return (await this.#trunks()).get(name);
  }

  /** Validates and enqueues one call. Throws an error naming the field when the input is bad. */
  async enqueueCall(input: EnqueueCallInput, options: { delayMs?: number } = {}): Promise<EnqueuedCall> {
    const { job } = validateJobInput(input, await this.#trunks());
    return this.#withRedis(() => this.#add(job, options.delayMs));
  }

  /**
   * Validates every input first (bad ones are reported by index, the others still go), then
   * enqueues per trunk with addBulk.
   */
  async enqueueMany(inputs: readonly EnqueueCallInput[]): Promise<EnqueueManyResult[]> {
    const trunks = await this.#trunks();
    const results: EnqueueManyResult[] = new Array(inputs.length);
    const byTrunk = new Map<string, Array<{ index: number; jobId: string; data: DialJob }>>();
    inputs.forEach((input, index) => {
      try {
        const { job } = validateJobInput(input, trunks);
        const list = byTrunk.get(job.trunk) ?? [];
        list.push({ index, jobId: this.#jobId(job), data: job });
        byTrunk.set(job.trunk, list);
      } catch (error) {
        results[index] = { ok: false, index, error: error as Error };
      }
    });
    for (const [trunk, list] of byTrunk) {
      const added = await this.addJobs(trunk, list);
      list.forEach((item, i) => {
        results[item.index] = {
          ok: true,
          call: { jobId: item.jobId, number: item.data.number, trunk, duplicate: !added[i] },
        };
      });
    }
    return results;
  }

  /** Adds prepared jobs to a trunk's queue; returns, per job, whether it was new. */
  async addJobs(trunk: string, jobs: ReadonlyArray<{ jobId: string; data: DialJob }>): Promise<boolean[]> {
    if (jobs.length === 0) return [];
    return this.#withRedis(async () => {
      const queue = this.queue(trunk);
      const existing = await this.#existing(
        queue,
        jobs.map((j) => j.jobId),
      );
      await queue.addBulk(
        jobs.map((j) => ({ name: 'dial', data: j.data, opts: { ...DIAL_JOB_OPTIONS, jobId: j.jobId } })),
      );
      return existing.map((e) => !e);
    });
  }

  async #add(job: DialJob, delayMs?: number): Promise<EnqueuedCall> {
    const jobId = this.#jobId(job);
    const queue = this.queue(job.trunk);
    const [existed] = await this.#existing(queue, [jobId]);
    await queue.add('dial', job, { ...DIAL_JOB_OPTIONS, jobId, ...(delayMs ? { delay: delayMs } : {}) });
    return { jobId, number: job.number, trunk: job.trunk, duplicate: existed ?? false };
  }

  /** Which ids already exist as jobs or as finished outcomes (a finished job may be gone from BullMQ). */
  async #existing(queue: Queue, ids: readonly string[]): Promise<boolean[]> {
    // Two pipelines: the jobs are in the trunk's slot, the outcomes in the prefix's, and a Cluster
    // pipeline must stay on one node.
    const jobs = this.#redis.pipeline();
    const outcomes = this.#redis.pipeline();
    for (const id of ids) {
      jobs.exists(`${queue.qualifiedName}:${id}`);
      outcomes.exists(this.keys.outcome(id));
    }
    const [jobReplies, outcomeReplies] = await Promise.all([jobs.exec(), outcomes.exec()]);
    return ids.map((_, i) => Number(jobReplies?.[i]?.[1]) > 0 || Number(outcomeReplies?.[i]?.[1]) > 0);
  }

  #jobId(job: DialJob): string {
    // A campaign's number is one job however it arrives (import or API), so the campaign wins.
    return jobIdFor({
      ...(job.campaign !== undefined ? { campaign: job.campaign, e164: job.number } : {}),
      ...(job.idempotencyKey !== undefined ? { idempotencyKey: job.idempotencyKey } : {}),
    });
  }

  getOutcome(jobId: string): Promise<CallOutcome | undefined> {
    return this.#withRedis(() => this.#outcomes.get(jobId));
  }

  /** Resolves with the job's final outcome, waiting for it (blocking stream reads, no polling storm). */
  async waitForOutcome(
    jobId: string,
    options: { timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<CallOutcome> {
    const deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
    await this.#availability.ensure(this.#readyTimeoutMs);
    const reader = duplicateRedisConnection(this.#redis);
    try {
      let lastId = '$';
      for (;;) {
        const outcome = await this.#outcomes.get(jobId);
        if (outcome) return outcome;
        if (options.signal?.aborted) throw options.signal.reason ?? new Error('aborted');
        const left = deadline - Date.now();
        if (left <= 0) throw new OutcomeTimeoutError(jobId, options.timeoutMs ?? 0);
        const reply = (await reader.xread(
          'COUNT',
          1000,
          'BLOCK',
          Math.max(1, Math.min(1000, left)),
          'STREAMS',
          this.keys.outcomes,
          lastId,
        )) as Array<[string, Array<[string, string[]]>]> | null;
        for (const [, entries] of reply ?? []) {
          for (const [id, fields] of entries) {
            lastId = id;
            const at = fields.indexOf('jobId');
            if (at !== -1 && fields[at + 1] === jobId) {
              const json = fields[fields.indexOf('outcome') + 1];
              if (json !== undefined) return JSON.parse(json) as CallOutcome;
            }
          }
        }
      }
    } finally {
      reader.disconnect();
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#availability.close();
    this.#producerAvailability.close();
    await Promise.allSettled([...this.#queues.values()].map((q) => q.close()));
    if (this.#ownsRedis)
      await Promise.allSettled(
        [this.#redis.quit(), this.#producer.quit()].map((p) => p.catch(() => undefined)),
      );
  }
}
