import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { CallDefaultsConfig, TrunkConfig } from '../config/config-schema.js';
import type { DailyAttemptCap } from '../compliance/daily-attempt-cap.js';
import type { DncList } from '../compliance/dnc-list.js';
import type { CallOutcome } from '../jobs/call-outcome.js';
import type { DialJob } from '../jobs/dial-job.js';
import type { DialerKeys } from '../jobs/dialer-keys.js';
import type { OutcomeStore } from '../jobs/outcome-store.js';
import type { RetryPolicy } from '../jobs/retry-policy.js';
import type { Logger } from '../log/create-logger.js';
import type { RtpPortPool } from '../media/port-pool.js';
import type { Registration, RegistrationState, SipEngine } from '../sip/engine.js';
import type { AttemptFence } from './attempt-fence.js';
import type { CallEventSink } from './call-lifecycle-event.js';
import { createCallProcessor, SHUTDOWN_REASON } from './call-processor.js';
import type { CampaignStateCache } from './campaign-state-cache.js';
import type { FormatMemory } from './format-memory.js';
import { TrunkCircuit } from './trunk-circuit.js';
import { TrunkDialGate } from './trunk-dial-gate.js';
import { TrunkLimiter } from './trunk-limiter.js';

export interface TrunkRuntimeOptions {
  readonly trunk: TrunkConfig;
  readonly defaults: CallDefaultsConfig;
  readonly engine: SipEngine;
  readonly ports: RtpPortPool;
  /** Shared connection for commands (maxRetriesPerRequest: null, as BullMQ wants). */
  readonly redis: Redis;
  readonly keys: DialerKeys;
  readonly outcomes: OutcomeStore;
  readonly fence: AttemptFence;
  readonly formats: FormatMemory;
  readonly campaigns: CampaignStateCache;
  readonly dnc: DncList;
  readonly dailyCap?: DailyAttemptCap;
  readonly policyFor: (job: DialJob) => Promise<RetryPolicy>;
  readonly workerId: string;
  readonly logger: Logger;
  /** BullMQ lock: a job whose worker stops renewing it is taken by another after this. Default: 30 s. */
  readonly lockDurationMs?: number;
  /** How often stalled jobs are looked for. Default: 30 s. */
  readonly stalledIntervalMs?: number;
  /** Lifecycle events of every call. */
  readonly events?: CallEventSink;
  /** Extra time a number stays fenced past ring timeout + max call length. Default: 60 s. */
  readonly fenceMarginMs?: number;
  /** First wait before re-registering after a failure; doubles to 5 min. Default: 5 s. */
  readonly registerRetryMs?: number;
}

/**
 * Everything one trunk needs in one worker process: its registration (jobs are taken only while
 * it is healthy), its fleet-wide limiter and circuit, and a BullMQ worker on its queue.
 */
export class TrunkRuntime {
  readonly #o: TrunkRuntimeOptions;
  readonly #logger: Logger;
  readonly #limiter: TrunkLimiter;
  readonly #circuit: TrunkCircuit;
  readonly #worker: Worker<DialJob, CallOutcome>;
  #registration: Registration | undefined;
  #registerTimer: NodeJS.Timeout | undefined;
  #registerFailures = 0;
  #closing: Promise<void> | undefined;
  #started = false;

  constructor(options: TrunkRuntimeOptions) {
    this.#o = options;
    const { trunk } = options;
    this.#logger = options.logger.child({ trunk: trunk.name });
    this.#limiter = new TrunkLimiter({
      redis: options.redis,
      keys: options.keys,
      trunk: trunk.name,
      cps: trunk.cps,
      maxChannels: trunk.maxChannels,
      ...(trunk.learnCarrierLimit !== undefined ? { learnCeiling: trunk.learnCarrierLimit } : {}),
    });
    this.#circuit = new TrunkCircuit({
      redis: options.redis,
      keys: options.keys,
      trunk: trunk.name,
      logger: this.#logger,
    });
    const gate = new TrunkDialGate({
      redis: options.redis,
      keys: options.keys,
      campaigns: options.campaigns,
      dnc: options.dnc,
      limiter: this.#limiter,
      circuit: this.#circuit,
      ...(options.dailyCap ? { dailyCap: options.dailyCap } : {}),
      logger: this.#logger,
    });
    const processor = createCallProcessor({
      engine: options.engine,
      ports: options.ports,
      trunk,
      defaults: options.defaults,
      fence: options.fence,
      outcomes: options.outcomes,
      formats: options.formats,
      gate,
      feedback: gate,
      policyFor: options.policyFor,
      workerId: options.workerId,
      logger: options.logger,
      ...(options.fenceMarginMs !== undefined ? { fenceMarginMs: options.fenceMarginMs } : {}),
      ...(options.events ? { events: options.events } : {}),
    });
    this.#worker = new Worker<DialJob, CallOutcome>(options.keys.queueName(trunk.name), processor, {
      connection: options.redis,
      prefix: options.keys.prefix,
      concurrency: trunk.concurrency,
      autorun: false,
      lockDuration: options.lockDurationMs ?? 30_000,
      stalledInterval: options.stalledIntervalMs ?? 30_000,
      // A stalled job is safe to run again: the attempt fence stops a second INVITE while the
      // first may be alive, and counts the interrupted attempt. Failing it would lose the number.
      maxStalledCount: 1000,
      drainDelay: 1,
    });
    this.#worker.on('error', (error) => this.#logger.error({ err: error }, 'queue worker error'));
    this.#worker.on('failed', (job, error) => {
      if (!job || error.name === 'DelayedError') return;
      this.#logger.error(
        { jobId: job.id, err: error, attemptsMade: job.attemptsMade },
        'dial job failed in the worker',
      );
      if (job.attemptsMade >= (job.opts.attempts ?? 1))
        void this.#recordGaveUp(job.id ?? '', job.data, error);
    });
  }

  /** BullMQ gave up on a job the worker kept failing on: it still gets its one final outcome. */
  async #recordGaveUp(jobId: string, data: DialJob, error: Error): Promise<void> {
    try {
      const attempts = await this.#o.fence.list(jobId);
      await this.#o.outcomes.writeOnce({
        jobId,
        to: data.number,
        trunk: data.trunk,
        ...(data.campaign !== undefined ? { campaign: data.campaign } : {}),
        status: 'failed',
        reason: `worker failed on this job: ${error.message}`,
        attempts,
        enqueuedAt: data.enqueuedAt,
        completedAt: Date.now(),
        ...(data.metadata !== undefined ? { metadata: data.metadata } : {}),
      });
    } catch (writeError) {
      this.#logger.error({ jobId, err: writeError }, 'could not record the outcome of a failed job');
    }
  }

  get name(): string {
    return this.#o.trunk.name;
  }

  get limiter(): TrunkLimiter {
    return this.#limiter;
  }

  get circuit(): TrunkCircuit {
    return this.#circuit;
  }

  get worker(): Worker<DialJob, CallOutcome> {
    return this.#worker;
  }

  /** Where the trunk's registration stands; `disabled` when the trunk does not register. */
  get registrationState(): RegistrationState | 'disabled' {
    if (!this.#o.trunk.register) return 'disabled';
    if (this.#registration) return this.#registration.status.state;
    return this.#registerFailures > 0 ? 'failed' : 'registering';
  }

  /** Registers when the trunk asks for it, then starts taking jobs. */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    if (this.#o.trunk.register) await this.#register();
    else this.#run();
  }

  #run(): void {
    if (this.#closing) return;
    if (this.#worker.isPaused()) this.#worker.resume();
    else if (!this.#worker.isRunning())
      void this.#worker
        .run()
        .catch((error: unknown) => this.#logger.error({ err: error }, 'queue worker stopped'));
  }

  async #register(): Promise<void> {
    try {
      const registration = await this.#o.engine.register(this.#o.trunk);
      this.#registerFailures = 0;
      this.#registration = registration;
      this.#logger.info({ expires: registration.status.grantedExpiresSec }, 'registered with the carrier');
      registration.on('state', (status) => {
        if (status.state === 'registered') this.#run();
        else if (status.state === 'failed') {
          this.#logger.warn(
            { reason: status.lastFailure?.message },
            'registration lost: not taking jobs until it is back',
          );
          void this.#worker.pause(true);
        }
      });
      this.#run();
    } catch (error) {
      this.#registerFailures += 1;
      const waitMs = Math.min(300_000, (this.#o.registerRetryMs ?? 5000) * 2 ** (this.#registerFailures - 1));
      this.#logger.error({ err: error, retryInMs: waitMs }, 'registration failed: not taking jobs');
      if (this.#closing) return;
      this.#registerTimer = setTimeout(() => void this.#register(), waitMs);
    }
  }

  /**
   * Stops taking jobs, lets live calls finish within `graceMs`, then aborts the rest (ringing
   * calls are cancelled and their jobs go back to the queue; answered calls are hung up and
   * recorded), and unregisters. Idempotent.
   */
  close(graceMs = 30_000): Promise<void> {
    this.#closing ??= (async () => {
      clearTimeout(this.#registerTimer);
      const closed = this.#worker.close();
      const grace = setTimeout(() => {
        this.#logger.warn('grace period over: ending live calls');
        this.#worker.cancelAllJobs(SHUTDOWN_REASON);
      }, graceMs);
      try {
        await closed;
      } finally {
        clearTimeout(grace);
      }
      await this.#registration?.unregister();
      this.#limiter.close();
      this.#circuit.close();
    })();
    return this.#closing;
  }
}
