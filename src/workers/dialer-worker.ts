import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { DialerConfig } from '../config/index.js';
import { CallerIdDailyCap, DailyAttemptCap } from '../compliance/index.js';
import { DncList } from '../compliance/index.js';
import { parseCampaignControlMessage } from '../jobs/index.js';
import { CampaignStore } from '../jobs/index.js';
import type { DialJob } from '../jobs/index.js';
import { DialerKeys } from '../kernel/index.js';
import { OutcomeStore } from '../jobs/index.js';
import { buildRetryPolicy, mergeRetryPolicy, type RetryPolicy } from '../jobs/index.js';
import { TrunkDirectory } from '../jobs/index.js';
import type { Logger } from '../log/index.js';
import { createCallMediaRuntime, type CallMediaRuntime } from '../media/index.js';
import { RtpPortPool } from '../media/index.js';
import { createSipEngine } from '../sip/index.js';
import type { SipEngine } from '../sip/index.js';
import { AttemptFence, type AttemptFenceOptions } from './attempt-fence.js';
import { checkRedisDurability } from './check-redis-durability.js';
import { DialogRegistry } from './dialog-registry.js';
import { RecordingSweeper } from './recording-sweeper.js';
import { OrphanSweeper } from './orphan-sweeper.js';
import { WorkerLease } from './worker-lease.js';
import { CampaignStateCache } from './campaign-state-cache.js';
import { FormatMemory } from './format-memory.js';
import { TrunkRuntime, type TrunkRuntimeOptions } from './trunk-runtime.js';
import type { CallEventSink, CallLifecycleEvent } from '../jobs/index.js';
import { TypedEventEmitter } from '../kernel/index.js';
import type { CallObserver, CallObserverStart, ObservedWorker } from './call-observer.js';
import {
  createRedisConnection,
  duplicateRedisConnection,
  redisErrorHandler,
  type RedisConnection,
} from '../redis/index.js';
import { StartRollback } from './start-rollback.js';
import { SHUTDOWN_BOUNDS } from './shutdown-bounds.js';
import { withinDeadline } from './within-deadline.js';

export interface DialerWorkerOptions {
  readonly config: DialerConfig;
  readonly logger: Logger;
  /** Identifies this process in attempt records. Default: `<hostname>:<pid>:<random>`. */
  readonly workerId?: string;
  /**
   * What watches the calls (status callbacks, metrics), started in this order once the worker's
   * parts exist and closed when it closes. Default: none.
   */
  readonly observers?: readonly CallObserverStart[];
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
  readonly #redis: RedisConnection;
  readonly #subscriber: RedisConnection;
  /** Fence writes and their WAIT, with a Sentinel group: WAIT holds the connection it is sent on. */
  readonly #fenceRedis: RedisConnection | undefined;
  readonly #engine: SipEngine;
  readonly #ports: RtpPortPool;
  readonly #runtimes: TrunkRuntime[];
  readonly #logger: Logger;
  readonly #observers: readonly CallObserver[];
  readonly #lease: WorkerLease;
  readonly #sweeper: OrphanSweeper;
  readonly #recordingSweeper: RecordingSweeper;
  #closing: Promise<void> | undefined;

  private constructor(
    o: DialerWorkerOptions,
    parts: {
      redis: RedisConnection;
      subscriber: RedisConnection;
      fenceRedis: RedisConnection | undefined;
      engine: SipEngine;
      ports: RtpPortPool;
      runtimes: TrunkRuntime[];
      workerId: string;
      observers: readonly CallObserver[];
      lease: WorkerLease;
      sweeper: OrphanSweeper;
      recordingSweeper: RecordingSweeper;
    },
  ) {
    super();
    this.#o = o;
    this.#logger = o.logger;
    this.#redis = parts.redis;
    this.#subscriber = parts.subscriber;
    this.#fenceRedis = parts.fenceRedis;
    this.#engine = parts.engine;
    this.#ports = parts.ports;
    this.#runtimes = parts.runtimes;
    this.workerId = parts.workerId;
    this.#observers = parts.observers;
    this.#lease = parts.lease;
    this.#sweeper = parts.sweeper;
    this.#recordingSweeper = parts.recordingSweeper;
    // Subscribed each on its own: one that throws costs the others nothing, and is logged.
    for (const observer of parts.observers) {
      this.on('call', (event) => {
        try {
          observer.observe(event);
        } catch (error) {
          this.#logger.warn({ err: error, observer: observer.name }, 'a call observer threw');
        }
      });
    }
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
    const { redis, subscriber, fenceRedis } = openRedis(config, logger, rollback);
    const { media, ports } = await openMedia(config, logger, rollback);
    const engine = createSipEngine(config, { logger });
    rollback.push('sip engine', () => engine.close());
    await engine.start();
    await checkRedisDurability(redis, logger);
    const { lease, sweeper } = await startLiveness(
      config,
      { redis, keys, workerId, engine, logger },
      rollback,
    );
    const campaigns = new CampaignStateCache(new CampaignStore({ redis, keys }));
    // A refused login fails here; the rollback leaves nothing running, so the process exits.
    await followCampaignControl(subscriber, keys, campaigns);
    const shared = trunkRuntimeParts(config, fenceRedis, {
      engine,
      ports,
      media,
      redis,
      keys,
      campaigns,
      workerId,
      logger,
    });
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
    await publishTrunkDirectory(redis, keys, config);
    const observers = await startObservers(
      options.observers ?? [],
      {
        redis,
        keys,
        trunks: runtimes,
        ports,
        engine,
        campaign: (name) => campaigns.get(name),
        logger,
      },
      rollback,
    );
    const recordingSweeper = new RecordingSweeper({
      dir: config.media.recordingsDir,
      retentionMs: config.media.recordingsRetentionMs,
      logger,
    });
    rollback.push('recording sweeper', () => recordingSweeper.close());
    const worker = new DialerWorker(options, {
      lease,
      sweeper,
      recordingSweeper,
      redis,
      subscriber,
      fenceRedis,
      engine,
      ports,
      runtimes,
      workerId,
      observers,
    });
    publish = (event) => worker.emit('call', event);
    await Promise.all(runtimes.map((r) => r.start()));
    sweeper.start();
    recordingSweeper.start();
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
      await this.#bounded('recording sweeper', this.#recordingSweeper.close());
      // Our calls are over: the lease can go (orphans still held stay for the next sweeper).
      await this.#bounded('liveness lease', this.#lease.close());
      await Promise.all(this.#observers.map((o) => this.#bounded(o.name, o.close())));
      await this.#bounded('sip engine', this.#engine.close(), SHUTDOWN_BOUNDS.sipStepMs);
      await this.#ports.close();
      const connections = [this.#subscriber, ...(this.#fenceRedis ? [this.#fenceRedis] : []), this.#redis];
      const quits = connections.map(async (connection) => {
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

/** What every trunk runtime of the worker shares: its engine, ports, stores and settings. */
function trunkRuntimeParts(
  config: DialerConfig,
  fenceRedis: RedisConnection | undefined,
  parts: Pick<
    TrunkRuntimeOptions,
    'engine' | 'ports' | 'media' | 'redis' | 'keys' | 'campaigns' | 'workerId' | 'logger'
  >,
): Omit<TrunkRuntimeOptions, 'trunk' | 'events'> {
  const { redis, keys, workerId } = parts;
  const replicaWait = replicaWaitOf(config, fenceRedis, parts.logger);
  return {
    ...parts,
    defaults: config.defaults,
    outcomes: new OutcomeStore({ redis, keys }),
    fence: new AttemptFence({ redis, keys, workerId, ...(replicaWait ? { replicaWait } : {}) }),
    dialogs: new DialogRegistry({ redis, keys, workerId }),
    lateAnswerHoldMs: lateAnswerHoldMs(config),
    formats: new FormatMemory(redis, keys),
    dnc: new DncList({ redis, keys }),
    ...(config.workers.maxDailyAttemptsPerNumber
      ? { dailyCap: new DailyAttemptCap({ redis, keys, max: config.workers.maxDailyAttemptsPerNumber }) }
      : {}),
    policyFor: retryPolicyFor(config, parts.campaigns),
    campaignCallFor: async (job: DialJob) =>
      job.campaign === undefined ? undefined : (await parts.campaigns.get(job.campaign))?.settings,
    callerIdCap: new CallerIdDailyCap({ redis, keys }),
    lockDurationMs: config.workers.lockDurationMs,
    stalledIntervalMs: config.workers.stalledIntervalMs,
    fenceMarginMs: config.workers.fenceMarginMs,
  };
}

/** The media every call of the worker shares, and its pre-bound RTP ports. */
async function openMedia(
  config: DialerConfig,
  logger: Logger,
  rollback: StartRollback,
): Promise<{ media: CallMediaRuntime; ports: RtpPortPool }> {
  const media = createCallMediaRuntime({
    promptsDir: config.media.promptsDir,
    recordingsDir: config.media.recordingsDir,
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
  return { media, ports };
}

/**
 * This worker's lease (other workers must know it is alive before its calls are registered, so
 * it starts before any call) and the sweeper that ends the calls of workers whose lease lapsed.
 */
async function startLiveness(
  config: DialerConfig,
  parts: { redis: RedisConnection; keys: DialerKeys; workerId: string; engine: SipEngine; logger: Logger },
  rollback: StartRollback,
): Promise<{ lease: WorkerLease; sweeper: OrphanSweeper }> {
  const { redis, keys, workerId, engine, logger } = parts;
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
  return { lease, sweeper };
}

/** With a Sentinel group, fence writes wait for the replicas the config asks for (WAIT). */
function replicaWaitOf(
  config: DialerConfig,
  redis: RedisConnection | undefined,
  logger: Logger,
): AttemptFenceOptions['replicaWait'] {
  const target = config.redis;
  if (redis === undefined || typeof target === 'string' || !('sentinels' in target)) return undefined;
  // The config always sets both (its defaults); a hand-built target without them waits for none.
  const { waitReplicas: replicas, waitTimeoutMs: timeoutMs } = target;
  return replicas && timeoutMs !== undefined ? { redis, replicas, timeoutMs, logger } : undefined;
}

/** True when the config asks fence writes to wait for replicas. */
function waitsForReplicas(config: DialerConfig): boolean {
  const target = config.redis;
  return typeof target !== 'string' && 'sentinels' in target && (target.waitReplicas ?? 0) > 0;
}

/** The command connection BullMQ wants (no retry limit per request) and its subscriber twin. */
function openRedis(
  config: DialerConfig,
  logger: Logger,
  rollback: StartRollback,
): { redis: RedisConnection; subscriber: RedisConnection; fenceRedis: RedisConnection | undefined } {
  const redis = createRedisConnection(config.redis, { maxRetriesPerRequest: null, lazyConnect: false });
  redis.on('error', redisErrorHandler(logger, config.redis, 'connection'));
  const subscriber = duplicateRedisConnection(redis);
  subscriber.on('error', redisErrorHandler(logger, config.redis, 'subscriber'));
  // WAIT blocks the connection it is sent on until the replicas answer (up to its timeout): on
  // the shared one it would hold every other command of the worker behind each fence.
  const fenceRedis = waitsForReplicas(config) ? duplicateRedisConnection(redis) : undefined;
  fenceRedis?.on('error', redisErrorHandler(logger, config.redis, 'fence'));
  rollback.push('redis', () => {
    subscriber.disconnect();
    fenceRedis?.disconnect();
    redis.disconnect();
  });
  return { redis, subscriber, fenceRedis };
}

/** Pause, resume and cancel reach this worker's campaign cache within a second. */
async function followCampaignControl(
  subscriber: RedisConnection,
  keys: DialerKeys,
  campaigns: CampaignStateCache,
): Promise<void> {
  await subscriber.subscribe(keys.control);
  subscriber.on('message', (_channel: string, payload: string) => {
    const message = parseCampaignControlMessage(payload);
    if (message) campaigns.apply(message.name, message.state);
  });
}

/** The config's retry policy, with a job's campaign overrides applied when it has any. */
function retryPolicyFor(
  config: DialerConfig,
  campaigns: CampaignStateCache,
): (job: DialJob) => Promise<RetryPolicy> {
  const base = buildRetryPolicy({
    maxAttempts: config.defaults.maxAttempts,
    delays: config.defaults.retryDelays,
  });
  return async (job) => {
    if (job.campaign === undefined) return base;
    const settings = (await campaigns.get(job.campaign))?.settings;
    if (!settings || (settings.maxAttempts === undefined && settings.retryDelays === undefined)) return base;
    return mergeRetryPolicy(base, {
      ...(settings.maxAttempts !== undefined ? { maxAttempts: settings.maxAttempts } : {}),
      ...(settings.retryDelays !== undefined ? { delays: settings.retryDelays } : {}),
    });
  };
}

/** Producers check a job's trunk against this list, and read its dialing defaults from it. */
async function publishTrunkDirectory(
  redis: RedisConnection,
  keys: DialerKeys,
  config: DialerConfig,
): Promise<void> {
  await new TrunkDirectory(redis, keys).publish(
    config.trunks.map((t) => ({
      name: t.name,
      domain: t.domain,
      ...(t.defaultCountry ? { defaultCountry: t.defaultCountry } : {}),
      ...(t.callerId ? { callerId: t.callerId } : {}),
      ...(t.allowedCallerIds ? { allowedCallerIds: t.allowedCallerIds } : {}),
    })),
  );
}

/** Starts the observers in order; each one started is closed again should a later step fail. */
async function startObservers(
  starts: readonly CallObserverStart[],
  worker: ObservedWorker,
  rollback: StartRollback,
): Promise<CallObserver[]> {
  const observers: CallObserver[] = [];
  for (const start of starts) {
    const observer = await start(worker);
    rollback.push(observer.name, () => observer.close());
    observers.push(observer);
  }
  return observers;
}

/**
 * How long a number stays fenced after an INVITE we gave up on without the carrier's final
 * answer: a 2xx can still come for 64·T1, and the carrier's T1 may be the RFC's 500 ms.
 */
function lateAnswerHoldMs(config: DialerConfig): number {
  return Math.max(64 * config.sip.timers.t1Ms, 32_000);
}
