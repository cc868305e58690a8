import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { Redis } from 'ioredis';
import type { DialerConfig } from '../config/config-schema.js';
import { DailyAttemptCap } from '../compliance/daily-attempt-cap.js';
import { DncList } from '../compliance/dnc-list.js';
import { parseCampaignControlMessage } from '../jobs/campaign-control-message.js';
import { CampaignStore } from '../jobs/campaign-store.js';
import type { DialJob } from '../jobs/dial-job.js';
import { DialerKeys } from '../jobs/dialer-keys.js';
import { OutcomeStore } from '../jobs/outcome-store.js';
import { buildRetryPolicy, mergeRetryPolicy, type RetryPolicy } from '../jobs/retry-policy.js';
import { TrunkDirectory } from '../jobs/trunk-directory.js';
import type { Logger } from '../log/create-logger.js';
import { configureCallMedia } from '../media/call-media-runtime.js';
import { RtpPortPool } from '../media/port-pool.js';
import { createSipEngine } from '../sip/create-sip-engine.js';
import type { SipEngine } from '../sip/engine.js';
import { AttemptFence } from './attempt-fence.js';
import { checkRedisDurability } from './check-redis-durability.js';
import { DialogRegistry } from './dialog-registry.js';
import { OrphanSweeper } from './orphan-sweeper.js';
import { WorkerLease } from './worker-lease.js';
import { CampaignStateCache } from './campaign-state-cache.js';
import { FormatMemory } from './format-memory.js';
import { TrunkRuntime } from './trunk-runtime.js';
import type { CallEventSink, CallLifecycleEvent } from './call-lifecycle-event.js';
import { TypedEventEmitter } from '../events/typed-event-emitter.js';
import { StatusCallbacks } from '../callbacks/status-callbacks.js';
import { WorkerMetrics } from '../metrics/worker-metrics.js';
import { redisErrorHandler } from '../redis/redis-error-handler.js';

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
    const redis = new Redis(config.redis, { maxRetriesPerRequest: null, lazyConnect: false });
    redis.on('error', redisErrorHandler(logger, config.redis, 'connection'));
    const subscriber = redis.duplicate();
    subscriber.on('error', redisErrorHandler(logger, config.redis, 'subscriber'));
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
    const engine = createSipEngine(config, { logger });
    try {
      await engine.start();
    } catch (error) {
      await ports.close();
      redis.disconnect();
      subscriber.disconnect();
      throw error;
    }
    await checkRedisDurability(redis, logger);
    // Before any call: other workers must know this one is alive before its calls are registered.
    const lease = new WorkerLease({ redis, keys, workerId, logger, ttlMs: config.workers.leaseTtlMs });
    await lease.start();
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
    try {
      await subscriber.subscribe(keys.control);
    } catch (error) {
      // A refused login lands here: leave nothing running, so the process exits and says why.
      await engine.close();
      await ports.close();
      redis.disconnect();
      subscriber.disconnect();
      throw error;
    }
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
    let metrics: WorkerMetrics | undefined;
    try {
      metrics = config.metrics
        ? await WorkerMetrics.start({
            redis,
            keys,
            trunks: runtimes,
            ports,
            ...(callbacks ? { extraQueues: [StatusCallbacks.queueName] } : {}),
            ...(config.metrics.listen ? { listen: config.metrics.listen } : {}),
            logger,
          })
        : undefined;
    } catch (error) {
      await callbacks?.close();
      await Promise.allSettled(runtimes.map((r) => r.close(0)));
      await engine.close();
      await ports.close();
      await lease.close();
      redis.disconnect();
      subscriber.disconnect();
      throw error;
    }
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

  /** Drains (see TrunkRuntime.close), then closes the engine (unregisters), ports and Redis. Idempotent. */
  close(graceMs = this.#o.config.shutdown.graceMs): Promise<void> {
    this.#closing ??= (async () => {
      this.#logger.info({ graceMs }, 'dialer worker draining');
      await Promise.allSettled(this.#runtimes.map((r) => r.close(graceMs)));
      await this.#sweeper.close();
      // Our calls are over: the lease can go (orphans still held stay for the next sweeper).
      await Promise.race([this.#lease.close(), new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
      await this.#callbacks?.close();
      await this.#metrics?.close();
      await this.#engine.close();
      await this.#ports.close();
      await this.#subscriber.quit().catch(() => undefined);
      await this.#redis.quit().catch(() => undefined);
      this.#logger.info('dialer worker stopped');
    })();
    return this.#closing;
  }
}

/**
 * How long a number stays fenced after an INVITE we gave up on without the carrier's final
 * answer: a 2xx can still come for 64·T1, and the carrier's T1 may be the RFC's 500 ms.
 */
function lateAnswerHoldMs(config: DialerConfig): number {
  return Math.max(64 * config.sip.timers.t1Ms, 32_000);
}
