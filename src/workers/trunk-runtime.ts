import { Worker, type Job } from 'bullmq';
import type { RedisConnection } from '../redis/index.js';
import type { CallDefaultsConfig, TrunkConfig } from '../config/index.js';
import type { DailyAttemptCap } from '../compliance/index.js';
import type { DncList } from '../compliance/index.js';
import type { CallOutcome } from '../jobs/index.js';
import type { DialJob } from '../jobs/index.js';
import { buildCallOutcome } from '../jobs/index.js';
import type { DialerKeys } from '../kernel/index.js';
import type { OutcomeStore } from '../jobs/index.js';
import type { CampaignCallSettings, RetryPolicy } from '../jobs/index.js';
import type { Logger } from '../log/index.js';
import type { CallMediaRuntime, RtpPortPool } from '../media/index.js';
import type { Registration, RegistrationState, SipEngine } from '../sip/index.js';
import { SipFailure } from '../sip/index.js';
import type { AttemptFence } from './attempt-fence.js';
import type { CallEventSink } from '../jobs/index.js';
import { createCallProcessor, SHUTDOWN_REASON, type CallProcessorDeps } from './call-processor.js';
import type { DialogRegistry } from './dialog-registry.js';
import type { CampaignStateCache } from './campaign-state-cache.js';
import { CircuitHeldJobs } from './circuit-held-jobs.js';
import type { FormatMemory } from './format-memory.js';
import { TrunkCircuit } from './trunk-circuit.js';
import { TrunkDialGate } from './trunk-dial-gate.js';
import { TrunkLimiter } from './trunk-limiter.js';
import { logLimiterEvents } from './log-limiter-events.js';
import { SHUTDOWN_BOUNDS } from './shutdown-bounds.js';
import { withinDeadline } from './within-deadline.js';

export interface TrunkRuntimeOptions {
  readonly trunk: TrunkConfig;
  readonly defaults: CallDefaultsConfig;
  readonly engine: SipEngine;
  readonly ports: RtpPortPool;
  /** The worker's media settings, scheduler and prompt cache, shared by its calls. */
  readonly media: CallMediaRuntime;
  /** Shared connection for commands (maxRetriesPerRequest: null, as BullMQ wants). */
  readonly redis: RedisConnection;
  readonly keys: DialerKeys;
  readonly outcomes: OutcomeStore;
  readonly fence: AttemptFence;
  readonly formats: FormatMemory;
  readonly campaigns: CampaignStateCache;
  readonly dnc: DncList;
  readonly dailyCap?: DailyAttemptCap;
  readonly policyFor: (job: DialJob) => Promise<RetryPolicy>;
  readonly campaignCallFor?: (job: DialJob) => Promise<CampaignCallSettings | undefined>;
  readonly callerIdCap?: CallProcessorDeps['callerIdCap'];
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
  /** Keeps each call's dialog where another worker can end it should this one die. */
  readonly dialogs?: DialogRegistry;
  /** How long a number stays fenced after an INVITE given up without a final answer. Default: 32 s. */
  readonly lateAnswerHoldMs?: number;
  /** A REGISTER unanswered this long is logged (the engine gives up only at Timer F, 64·T1). Default: 2 s. */
  readonly registerQuietMs?: number;
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
  readonly #held: CircuitHeldJobs;
  readonly #worker: Worker<DialJob, CallOutcome>;
  #registration: Registration | undefined;
  #registerTimer: NodeJS.Timeout | undefined;
  #registerFailures = 0;
  /** Failed REGISTER rounds since start, by the carrier's status (`error` when none came back). */
  readonly #registrationFailures = new Map<string, number>();
  #closing: Promise<void> | undefined;
  #started = false;
  /** Jobs whose processor has not yet written them back (an outcome, or moved to delayed). */
  readonly #inFlight = new Set<string>();
  #abandoned: readonly string[] = [];

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
    logLimiterEvents(this.#limiter, options.logger);
    this.#circuit = new TrunkCircuit({
      redis: options.redis,
      keys: options.keys,
      trunk: trunk.name,
      authStrikes: trunk.authStrikes,
      logger: this.#logger,
    });
    this.#held = new CircuitHeldJobs({
      redis: options.redis,
      keys: options.keys,
      trunk: trunk.name,
      logger: this.#logger,
    });
    this.#circuit.on('listenerError', (event, error) =>
      this.#logger.error({ event, err: error }, 'a trunk circuit listener threw'),
    );
    // The instance whose call closed the circuit hands the held numbers back to the queue.
    this.#circuit.on('change', (message) => {
      if (message.state === 'closed') this.#releaseHeld();
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
      media: options.media,
      trunk,
      defaults: options.defaults,
      fence: options.fence,
      outcomes: options.outcomes,
      formats: options.formats,
      gate,
      feedback: gate,
      policyFor: options.policyFor,
      ...(options.campaignCallFor ? { campaignCallFor: options.campaignCallFor } : {}),
      ...(options.callerIdCap ? { callerIdCap: options.callerIdCap } : {}),
      workerId: options.workerId,
      logger: options.logger,
      ...(options.fenceMarginMs !== undefined ? { fenceMarginMs: options.fenceMarginMs } : {}),
      ...(options.events ? { events: options.events } : {}),
      ...(options.dialogs ? { dialogs: options.dialogs } : {}),
      ...(options.lateAnswerHoldMs !== undefined ? { lateAnswerHoldMs: options.lateAnswerHoldMs } : {}),
    });
    const tracked = async (job: Job<DialJob, CallOutcome>, token?: string, signal?: AbortSignal) => {
      const id = job.id ?? '';
      this.#inFlight.add(id);
      try {
        const outcome = await processor(job, token, signal);
        this.#inFlight.delete(id);
        return outcome;
      } catch (error) {
        // DelayedError: moveToDelayed went through, the job is back in the queue.
        if ((error as Error | undefined)?.name === 'DelayedError') this.#inFlight.delete(id);
        throw error;
      }
    };
    this.#worker = new Worker<DialJob, CallOutcome>(options.keys.queueName(trunk.name), tracked, {
      connection: options.redis,
      prefix: options.keys.queuePrefix(trunk.name),
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
      const attempts = await this.#o.fence.list(jobId, data.number);
      const stored = await this.#o.outcomes.writeOnce(
        buildCallOutcome({
          jobId,
          job: data,
          status: 'failed',
          reason: `worker failed on this job: ${error.message}`,
          attempts,
        }),
      );
      // Observers (callbacks, metrics) hear of this end as of any other.
      if (stored.written)
        this.#o.events?.({
          type: 'completed',
          jobId,
          trunk: data.trunk,
          ...(data.campaign !== undefined ? { campaign: data.campaign } : {}),
          to: data.number,
          at: Date.now(),
          outcome: stored.outcome,
          ...(stored.campaignCompletedAt !== undefined && {
            campaignCompletedAt: stored.campaignCompletedAt,
          }),
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

  /** After close(): the jobs it could not write back because Redis did not answer. */
  get abandonedJobs(): readonly string[] {
    return this.#abandoned;
  }

  /** Failed registration attempts since start, by SIP status (`error`: no SIP answer). */
  get registrationFailures(): ReadonlyMap<string, number> {
    return this.#registrationFailures;
  }

  /**
   * Every failed attempt says so at error level with the carrier's answer (status and reason,
   * nothing of ours: the credentials stay in the engine), and counts for /metrics.
   */
  #registrationFailed(error: unknown, retryInMs: number | undefined): void {
    const failure = error instanceof SipFailure ? error : undefined;
    const status = failure ? String(failure.status) : 'error';
    this.#registrationFailures.set(status, (this.#registrationFailures.get(status) ?? 0) + 1);
    this.#logger.error(
      {
        ...(failure
          ? { status: failure.status, reason: failure.reason, phase: failure.phase, local: failure.local }
          : { err: error }),
        failures: [...this.#registrationFailures.values()].reduce((a, b) => a + b, 0),
        ...(retryInMs !== undefined ? { retryInMs } : {}),
      },
      failure && !failure.local
        ? `registration refused by the carrier: ${failure.status} ${failure.reason}; not taking jobs`
        : `registration failed: ${failure ? `${failure.status} ${failure.reason}` : String(error)}; not taking jobs`,
    );
  }

  /** Registers when the trunk asks for it, then starts taking jobs. */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    await this.#probeCredentials();
    if (this.#o.trunk.register) await this.#register();
    else this.#run();
  }

  /**
   * A start is how an operator applies fixed credentials: a circuit opened for refused credentials
   * is probed now (one call fleet-wide) instead of after its 10 minutes, with a held job to carry it.
   */
  async #probeCredentials(): Promise<void> {
    try {
      const state = await this.#circuit.probeAuthNow('worker started: testing the credentials again');
      if (state === 'half-open') this.#releaseHeld();
    } catch (error) {
      this.#logger.warn({ err: error }, 'could not look at the trunk circuit at start');
    }
  }

  #releaseHeld(): void {
    this.#held.release().catch((error: unknown) => {
      this.#logger.warn({ err: error }, 'could not release held jobs');
    });
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
    const quietMs = this.#o.registerQuietMs ?? 2000;
    const quiet = setTimeout(
      () =>
        this.#logger.warn(
          { waitedMs: quietMs },
          'the carrier has not answered REGISTER yet: still waiting, not taking jobs',
        ),
      quietMs,
    );
    try {
      const registration = await this.#o.engine.register(this.#o.trunk).finally(() => clearTimeout(quiet));
      this.#registerFailures = 0;
      this.#registration = registration;
      this.#logger.info({ expires: registration.status.grantedExpiresSec }, 'registered with the carrier');
      registration.on('state', (status) => {
        if (status.state === 'registered') this.#run();
        else if (status.state === 'failed') {
          // The engine retries this binding itself; each retry that fails comes here again.
          this.#registrationFailed(status.lastFailure, undefined);
          void this.#worker.pause(true);
        }
      });
      this.#run();
    } catch (error) {
      this.#registerFailures += 1;
      const waitMs = Math.min(300_000, (this.#o.registerRetryMs ?? 5000) * 2 ** (this.#registerFailures - 1));
      this.#registrationFailed(error, waitMs);
      if (this.#closing) return;
      this.#registerTimer = setTimeout(() => void this.#register(), waitMs);
    }
  }

  /**
   * Stops taking jobs, lets live calls finish within `graceMs`, then aborts the rest (ringing
   * calls are cancelled and their jobs go back to the queue; answered calls are hung up and
   * recorded), and unregisters. Idempotent. With Redis gone, the ended calls' jobs cannot be
   * written back: after SHUTDOWN_BOUNDS.handBackMs more it logs their ids (another worker takes
   * them once their lock lapses, and the fence counts the interrupted attempt) and lets go.
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
        if (!(await withinDeadline(closed, graceMs + SHUTDOWN_BOUNDS.handBackMs))) {
          this.#abandoned = [...this.#inFlight];
          this.#logger.error(
            { jobIds: this.#abandoned },
            'shutdown: these jobs could not be handed back to the queue in time (is Redis down?); another worker takes them when their lock lapses',
          );
          await withinDeadline(this.#worker.disconnect(), SHUTDOWN_BOUNDS.stepMs).catch(() => false);
        }
      } finally {
        clearTimeout(grace);
      }
      if (this.#registration)
        await withinDeadline(this.#registration.unregister(), SHUTDOWN_BOUNDS.sipStepMs).catch(
          (error: unknown) => this.#logger.warn({ err: error }, 'unregister failed'),
        );
      this.#limiter.close();
      this.#circuit.close();
      await this.#held.close();
    })();
    return this.#closing;
  }
}
