import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { Redis } from 'ioredis';
import type { DialerConfig } from '../config/index.js';
import { DailyAttemptCap } from '../compliance/index.js';
import { DncList } from '../compliance/index.js';
import { parseCampaignControlMessage } from '../jobs/index.js';
import { CampaignStore } from '../jobs/index.js';
import type { DialJob } from '../jobs/index.js';
import { DialerKeys } from '../kernel/index.js';
import { OutcomeStore } from '../jobs/index.js';
import { buildRetryPolicy, mergeRetryPolicy, type RetryPolicy } from '../jobs/index.js';
import { TrunkDirectory } from '../jobs/index.js';
import type { Logger } from '../log/index.js';
import { configureCallMedia } from '../media/index.js';
import { RtpPortPool } from '../media/index.js';
import { createSipEngine } from '../sip/index.js';
import type { SipEngine } from '../sip/index.js';
import { AttemptFence } from './attempt-fence.js';
import { checkRedisDurability } from './check-redis-durability.js';
import { DialogRegistry } from './dialog-registry.js';
import { OrphanSweeper } from './orphan-sweeper.js';
import { WorkerLease } from './worker-lease.js';
import { CampaignStateCache } from './campaign-state-cache.js';
import { FormatMemory } from './format-memory.js';
import { TrunkRuntime } from './trunk-runtime.js';
import type { CallEventSink, CallLifecycleEvent } from '../jobs/index.js';
import { TypedEventEmitter } from '../kernel/index.js';
import { StatusCallbacks } from '../callbacks/index.js';
import { WorkerMetrics } from '../metrics/index.js';
import { redisErrorHandler } from '../redis/index.js';
import { StartRollback } from './start-rollback.js';
import { SHUTDOWN_BOUNDS } from './shutdown-bounds.js';
import { withinDeadline } from './within-deadline.js';

export interface DialerWorkerOptions {
  readonly config: DialerConfig;
  readonly logger: Logger;
  /** Identifies this process in attempt records. Default: `<hostname>:<pid>:<random>`. */
  readonly workerId?: string;
}

/**
 * One worker process: the SIP engine, the pre-bound RTP ports, and a runtime per trunk, all on
 * one Redis. Start more of them, on more machines, to dial more.
 */
export type DialerWorkerEvents = {
  /** Every call's lifecycle, from every trunk of this process. */
  call: [CallLifecycleEvent];
};

export class DialerWorker extends TypedEventEmitter<DialerWorkerEvents> {
  readonly workerId: string;
  readonly #o: DialerWorkerOptions;
  readonly #redis: Redis;
  readonly #subscriber: Redis;
  readonly #engine: SipEngine;
  readonly #ports: RtpPortPool;
  readonly #runtimes: TrunkRuntime[];
  readonly #logger: Logger;
  readonly #metrics: WorkerMetrics | undefined;
  readonly #callbacks: StatusCallbacks | undefined;
  readonly #lease: WorkerLease;
  readonly #sweeper: OrphanSweeper;
  #closing: Promise<void> | undefined;

  private constructor(
    o: DialerWorkerOptions,
    parts: {
      redis: Redis;
      subscriber: Redis;
      engine: SipEngine;
      ports: RtpPortPool;
      runtimes: TrunkRuntime[];
      workerId: string;
      metrics?: WorkerMetrics;
      callbacks?: StatusCallbacks;
      lease: WorkerLease;
      sweeper: OrphanSweeper;
    },
  ) {
    super();
    this.#o = o;
    this.#logger = o.logger;
    this.#redis = parts.redis;
    this.#subscriber = parts.subscriber;
    this.#engine = parts.engine;
    this.#ports = parts.ports;
    this.#runtimes = parts.runtimes;
    this.workerId = parts.workerId;
    this.#metrics = parts.metrics;
    this.#lease = parts.lease;
    this.#sweeper = parts.sweeper;
    this.#callbacks = parts.callbacks;
  }

  static async start(options: DialerWorkerOptions): Promise<DialerWorker> {
    const { config } = options;
    const logger = options.logger;
    const workerId = options.workerId ?? `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    const keys = new DialerKeys(config.queuePrefix);
    const rollback = new StartRollback(logger);
    try {
      return await DialerWorker.#start(options, { logger, workerId, keys, rollback });
    } catch (error) {
      await rollback.run();
      throw error;
    }
  }

  static async #start(
    options: DialerWorkerOptions,
    {
      logger,
      workerId,
      keys,
      rollback,
    }: { logger: Logger; workerId: string; keys: DialerKeys; rollback: StartRollback },
  ): Promise<DialerWorker> {
    const { config } = options;
    const redis = new Redis(config.redis, { maxRetriesPerRequest: null, lazyConnect: false });
    redis.on('error', redisErrorHandler(logger, config.redis, 'connection'));
    const subscriber = redis.duplicate();
    subscriber.on('error', redisErrorHandler(logger, config.redis, 'subscriber'));
    rollback.push('redis', () => {
      subscriber.disconnect();
      redis.disconnect();
    });
    configureCallMedia({
      promptsDir: config.media.promptsDir,
      deadCallMs: config.media.deadCallMs,
      rtcpIntervalMs: config.media.rtcpIntervalMs,
    });
    const ports = await RtpPortPool.open({
      address: config.media.address,
      minPort: config.media.ports.minPort,
      maxPort: config.media.ports.maxPort,
      logger,
    });
    rollback.push('rtp ports', () => ports.close());
    const engine = createSipEngine(config, { logger });
    rollback.push('sip engine', () => engine.close());
    await engine.start();
    await checkRedisDurability(redis, logger);
    // Before any call: other workers must know this one is alive before its calls are registered.
    const lease = new WorkerLease({ redis, keys, workerId, logger, ttlMs: config.workers.leaseTtlMs });
    await lease.start();
    rollback.push('liveness lease', () => lease.close());
    const sweeper = new OrphanSweeper({
      redis,
      keys,
      workerId,
      engine,
      trunks: new Map(config.trunks.map((t) => [t.name, t])),
      logger,
      intervalMs: config.workers.orphanSweepIntervalMs,
      cancelHoldMs: lateAnswerHoldMs(config),
    });
    const campaignStore = new CampaignStore({ redis, keys });
    const campaigns = new CampaignStateCache(campaignStore);
    // A refused login fails here; the rollback leaves nothing running, so the process exits.
    await subscriber.subscribe(keys.control);
    subscriber.on('message', (_channel: string, payload: string) => {
      const message = parseCampaignControlMessage(payload);
      if (message) campaigns.apply(message.name, message.state);
    });
    const base = buildRetryPolicy({
      maxAttempts: config.defaults.maxAttempts,
      delays: {
        busyMs: config.defaults.retryDelays.busyMs,
        noAnswerMs: config.defaults.retryDelays.noAnswerMs,
        carrierErrorMs: config.defaults.retryDelays.carrierErrorMs,
      },
    });
    const policyFor = async (job: DialJob): Promise<RetryPolicy> => {
      if (job.campaign === undefined) return base;
      const settings = (await campaigns.get(job.campaign))?.settings;
      if (!settings || (settings.maxAttempts === undefined && settings.retryDelays === undefined))
        return base;
      return mergeRetryPolicy(base, {
        ...(settings.maxAttempts !== undefined ? { maxAttempts: settings.maxAttempts } : {}),
        ...(settings.retryDelays !== undefined ? { delays: settings.retryDelays } : {}),
      });
    };
    const shared = {
      defaults: config.defaults,
      engine,
      ports,
      redis,
      keys,
      outcomes: new OutcomeStore({ redis, keys }),
      fence: new AttemptFence({ redis, keys, workerId }),
      dialogs: new DialogRegistry({ redis, keys, workerId }),
      lateAnswerHoldMs: lateAnswerHoldMs(config),
      formats: new FormatMemory(redis, keys),
      campaigns,
      dnc: new DncList({ redis, keys }),
      ...(config.workers.maxDailyAttemptsPerNumber
        ? { dailyCap: new DailyAttemptCap({ redis, keys, max: config.workers.maxDailyAttemptsPerNumber }) }
        : {}),
      policyFor,
      workerId,
      logger,
      lockDurationMs: config.workers.lockDurationMs,
      stalledIntervalMs: config.workers.stalledIntervalMs,
      fenceMarginMs: config.workers.fenceMarginMs,
    };
    // The runtimes exist before the worker object; events reach its listeners once it does.
    let publish: CallEventSink = () => undefined;
    const events: CallEventSink = (event) => {
      try {
        publish(event);
      } catch (error) {
        logger.warn({ err: error }, 'a call event listener threw');
      }
    };
    const runtimes = config.trunks.map((trunk) => new TrunkRuntime({ ...shared, trunk, events }));
    rollback.push('trunk runtimes', async () => {
      await Promise.allSettled(runtimes.map((r) => r.close(0)));
    });
    await new TrunkDirectory(redis, keys).publish(
      config.trunks.map((t) => ({
        name: t.name,
        domain: t.domain,
        ...(t.defaultCountry ? { defaultCountry: t.defaultCountry } : {}),
        ...(t.callerId ? { callerId: t.callerId } : {}),
      })),
    );
    // Both only listen to call events: the call path never waits on a scrape or a webhook.
    const callbacks = config.callbacks
      ? StatusCallbacks.start({
          config: config.callbacks,
          redis,
          prefix: keys.prefix,
          queueName: (trunk) => keys.queueName(trunk),
          campaignUrl: async (name) => (await campaigns.get(name))?.settings.callbackUrl,
          logger,
        })
      : undefined;
    if (callbacks) rollback.push('status callbacks', () => callbacks.close());
    const metrics = config.metrics
      ? await WorkerMetrics.start({
          redis,
          keys,
          trunks: runtimes,
          ports,
          sip: engine,
          ...(callbacks ? { extraQueues: [StatusCallbacks.queueName] } : {}),
          ...(config.metrics.listen ? { listen: config.metrics.listen } : {}),
          logger,
        })
      : undefined;
    if (metrics) rollback.push('metrics', () => metrics.close());
    const worker = new DialerWorker(options, {
      lease,
      sweeper,
      redis,
      subscriber,
      engine,
      ports,
      runtimes,
      workerId,
      ...(metrics ? { metrics } : {}),
      ...(callbacks ? { callbacks } : {}),
    });
    publish = (event) => {
      metrics?.observe(event);
      callbacks?.publish(event);
      worker.emit('call', event);
    };
    await Promise.all(runtimes.map((r) => r.start()));
    sweeper.start();
    logger.info(
      { workerId, trunks: runtimes.map((r) => r.name), rtpPorts: ports.size },
      'dialer worker started',
    );
    return worker;
  }

  get runtimes(): readonly TrunkRuntime[] {
    return this.#runtimes;
  }

  get engine(): SipEngine {
    return this.#engine;
  }

  /** This process's metrics registry; present when config has a `metrics` section. */
  get metrics(): WorkerMetrics | undefined {
    return this.#metrics;
  }

  /** After close(): ids of the jobs that could not be handed back to the queue (Redis gone). */
  get abandonedJobs(): readonly string[] {
    return this.#runtimes.flatMap((r) => r.abandonedJobs);
  }

  /**
   * Drains (see TrunkRuntime.close), then closes the engine (unregisters), ports and Redis. Every
   * step that may wait on Redis is bounded (SHUTDOWN_BOUNDS), so it ends within the grace period
   * plus a few seconds even with Redis gone. Idempotent.
   */
  close(graceMs = this.#o.config.shutdown.graceMs): Promise<void> {
    this.#closing ??= (async () => {
      this.#logger.info({ graceMs }, 'dialer worker draining');
      await Promise.allSettled(this.#runtimes.map((r) => r.close(graceMs)));
      await this.#bounded('orphan sweeper', this.#sweeper.close());
      // Our calls are over: the lease can go (orphans still held stay for the next sweeper).
      await this.#bounded('liveness lease', this.#lease.close());
      await Promise.all([
        this.#bounded('status callbacks', this.#callbacks?.close()),
        this.#bounded('metrics', this.#metrics?.close()),
      ]);
      await this.#bounded('sip engine', this.#engine.close(), SHUTDOWN_BOUNDS.sipStepMs);
      await this.#ports.close();
      const quits = [this.#subscriber, this.#redis].map(async (connection) => {
        if (!(await withinDeadline(connection.quit(), SHUTDOWN_BOUNDS.stepMs).catch(() => false)))
          connection.disconnect();
      });
      await Promise.all(quits);
      this.#logger.info('dialer worker stopped');
    })();
    return this.#closing;
  }

  async #bounded(
    step: string,
    work: Promise<void> | undefined,
    ms: number = SHUTDOWN_BOUNDS.stepMs,
  ): Promise<void> {
    if (!work) return;
    try {
      if (!(await withinDeadline(work, ms)))
        this.#logger.warn({ step }, 'shutdown: this step took too long; left behind');
    } catch (error) {
      this.#logger.warn({ step, err: error }, 'shutdown: this step failed');
    }
  }
}

/**
 * How long a number stays fenced after an INVITE we gave up on without the carrier's final
 * answer: a 2xx can still come for 64·T1, and the carrier's T1 may be the RFC's 500 ms.
 */
function lateAnswerHoldMs(config: DialerConfig): number {
  return Math.max(64 * config.sip.timers.t1Ms, 32_000);
}
