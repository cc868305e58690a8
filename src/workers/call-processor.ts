import { DelayedError, type Job } from 'bullmq';
import type { CallDefaultsConfig, TrunkConfig } from '../config/index.js';
import type { CallOutcome, AttemptRecord } from '../jobs/index.js';
import { dialJobSchema, type DialJob } from '../jobs/index.js';
import type { FinalStatus } from '../jobs/index.js';
import { buildCallOutcome } from '../jobs/index.js';
import type { OutcomeStore } from '../jobs/index.js';
import { amdTimingsOf, decideRetry, type AmdSetting, type RetryPolicy } from '../jobs/index.js';
import type { CallScript, CampaignCallSettings } from '../jobs/index.js';
import type { RetryDecision } from '../jobs/index.js';
import type { Logger } from '../log/index.js';
import type { CallMediaRuntime, RtpPortPool } from '../media/index.js';
import { dialAttemptsFor } from '../numbers/index.js';
import { formatForDial, type DialFormat } from '../numbers/index.js';
import { normalizeNumber, type NormalizedNumber } from '../numbers/index.js';
import { buildRequestUri, rankCallerIds } from '../numbers/index.js';
import type { CallerIdDailyCap } from '../compliance/index.js';
import type { SipEngine } from '../sip/index.js';
import type { AttemptFence } from './attempt-fence.js';
import type { DialogRegistry } from './dialog-registry.js';
import type { CallEventSink } from '../jobs/index.js';
import type { DialGate, TrunkFeedback } from './dial-gate.js';
import type { FormatMemory } from './format-memory.js';
import {
  newAttemptRecord,
  placeAttempt,
  type PlaceAttemptInput,
  type PlacedAttempt,
} from './place-attempt.js';

export interface CallProcessorDeps {
  readonly engine: SipEngine;
  readonly ports: RtpPortPool;
  /** The worker's media settings, scheduler and prompt cache, shared by its calls. */
  readonly media: CallMediaRuntime;
  readonly trunk: TrunkConfig;
  readonly defaults: CallDefaultsConfig;
  readonly fence: AttemptFence;
  readonly outcomes: OutcomeStore;
  readonly formats: FormatMemory;
  readonly gate: DialGate;
  readonly feedback: TrunkFeedback;
  /** The retry policy for a job (campaign overrides applied). */
  readonly policyFor: (job: DialJob) => Promise<RetryPolicy>;
  /**
   * The job's campaign's answering-machine detection, script and caller-ID settings (withheld,
   * pool): the job's own `amd` wins, its own script fields win one by one.
   */
  readonly campaignCallFor?: (job: DialJob) => Promise<CampaignCallSettings | undefined>;
  /** Counts calls per pool caller ID per day, fleet-wide (`callerIdDailyCap`). */
  readonly callerIdCap?: CallerIdDailyCap;
  readonly workerId: string;
  readonly logger: Logger;
  /** Lifecycle events of every call (metrics, status callbacks). */
  readonly events?: CallEventSink;
  /** Extra time the number stays fenced after the longest a call can last. Default: 60 s. */
  readonly fenceMarginMs?: number;
  /**
   * How long the number stays fenced after an INVITE we gave up on without the carrier's final
   * answer (timeout, CANCEL unanswered): a 2xx may still come for it. Default: 32 s (64·T1).
   */
  readonly lateAnswerHoldMs?: number;
  /** Where each call's dialog is kept so another worker can end it should this one die. */
  readonly dialogs?: DialogRegistry;
}

/** The abort reason a worker gives its live calls when it shuts down: the job is requeued. */
export const SHUTDOWN_REASON = 'shutdown';

/**
 * Takes one dial job from BullMQ to its final outcome, or back to the queue as a delayed job.
 * Each INVITE is fenced in Redis first; a re-run of a job counts the attempts a dead worker left.
 */
export function createCallProcessor(deps: CallProcessorDeps) {
  return async function processDialJob(
    job: Job<DialJob, CallOutcome>,
    token?: string,
    signal?: AbortSignal,
  ): Promise<CallOutcome> {
    const jobId = job.id ?? '';
    const logger = deps.logger.child({
      jobId,
      trunk: deps.trunk.name,
      ...(job.data?.campaign ? { campaign: job.data.campaign } : {}),
    });
    const parsed = dialJobSchema.safeParse(job.data);
    if (!parsed.success) {
      logger.error({ issues: parsed.error.issues.slice(0, 3) }, 'job data is not a valid dial job');
      const run: JobRun = { deps, job, token, jobId, data: fallbackJob(job.data, deps.trunk.name), logger };
      return finish(run, [], 'failed', `invalid job data: ${parsed.error.issues[0]?.message ?? ''}`);
    }
    const run: JobRun = { deps, job, token, jobId, data: parsed.data, logger };
    const history = await readHistory(run);
    if (history.kind === 'decided') return history.outcome;

    // Planned while the gate decides, not after: between the gate's pace slot and the INVITE
    // only the fence is left, so the INVITE leaves close to its slot.
    const planning = planDial(run, history);
    // Awaited below when the gate says go; a job the gate delays never needed the plan.
    planning.catch(() => undefined);
    const verdict = await deps.gate.check(run.data, jobId);
    if (verdict.kind === 'final') return finish(run, history.records, verdict.status, verdict.reason);
    if (verdict.kind === 'delay') {
      logger.debug({ until: verdict.until, reason: verdict.reason }, 'job delayed before dialing');
      deferred(run, verdict.reason, verdict.until);
      return delay(job, token, verdict.until);
    }

    const abort = signal ?? new AbortController().signal;
    let dialed: DialEnd;
    try {
      // The caller ID is picked only now: a pool's daily cap counts calls, not jobs looked at.
      const plan = { ...(await planning), ...(await callerIdOf(run)) };
      dialed = await dialFormats(run, history, plan, abort, verdict.nextStart);
    } finally {
      await verdict.release();
    }
    return conclude(run, dialed, abort);
  };
}

/** One run of one job: what each of its phases needs. */
interface JobRun {
  readonly deps: CallProcessorDeps;
  readonly job: Job<DialJob, CallOutcome>;
  readonly token: string | undefined;
  readonly jobId: string;
  readonly data: DialJob;
  /** Gains the Call-ID of an answered attempt, so later lines join the engine's. */
  logger: Logger;
}

/** What the job's earlier runs left: its outcome already, or what is left to dial. */
type JobHistory =
  | { readonly kind: 'decided'; readonly outcome: CallOutcome }
  | {
      readonly kind: 'to-dial';
      readonly records: readonly AttemptRecord[];
      readonly policy: RetryPolicy;
      readonly attemptsMade: number;
      readonly maxAttempts: number;
    };
type ToDial = Extract<JobHistory, { kind: 'to-dial' }>;

/** This run's attempt: its timings, the number and the dial formats to try, in order. */
interface DialPlan {
  readonly attempt: number;
  readonly ringTimeoutMs: number;
  readonly maxCallLengthMs: number;
  /** How long the fence holds the number: the longest the call can last, plus the margin. */
  readonly liveMs: number;
  readonly normalized: NormalizedNumber;
  readonly formats: readonly DialFormat[];
  /** The job's amd setting, else its campaign's. */
  readonly amd?: AmdSetting;
  /** The caller ID this attempt presents, and whether it is withheld from the callee. */
  readonly callerId?: string;
  readonly callerIdWithheld?: boolean;
  /** The campaign's script with the job's fields over it. */
  readonly script?: CallScript;
}

/** How the dial formats loop ended. */
type DialEnd =
  /** The fence says another run of this job reached the person. */
  | { readonly kind: 'answered-elsewhere' }
  /** The number has a call that may still be alive: look again after `waitMs`. */
  | { readonly kind: 'number-in-call'; readonly waitMs: number }
  | {
      readonly kind: 'dialed';
      /** The attempts read at the start plus those just made: what Redis holds. */
      readonly attempts: readonly AttemptRecord[];
      /** Absent when there was no dial format to try. */
      readonly last?: { readonly record: AttemptRecord; readonly decision: RetryDecision };
    };

async function readHistory(run: JobRun): Promise<JobHistory> {
  const { deps, jobId, data } = run;
  const [existing, previous, policy] = await Promise.all([
    deps.outcomes.get(jobId),
    deps.fence.list(jobId, data.number),
    deps.policyFor(data),
  ]);
  if (existing) return { kind: 'decided', outcome: existing };
  const records = await deps.fence.markInterrupted(jobId, data.number, previous);
  // A run that died after the person answered (or whose call another worker ended for it)
  // reached them: that is the outcome, whatever attempts are left.
  const answered = records.find(isAnswered);
  if (answered)
    return {
      kind: 'decided',
      outcome: await finish(run, records, answered.pointsTo ?? 'answered', 'answered'),
    };
  // A suspected trunk fault (held) is not the number's attempt: it must not use up its tries.
  const attemptsMade = new Set(records.filter((r) => r.trunkFault !== true).map((r) => r.attempt)).size;
  const maxAttempts = data.maxAttempts ?? policy.maxAttempts;
  if (attemptsMade >= maxAttempts) {
    const last = records.at(-1);
    const reason = `max attempts (${maxAttempts}) reached${last?.state === 'interrupted' ? '; the last was interrupted' : ''}`;
    return { kind: 'decided', outcome: await finish(run, records, statusOf(last), reason) };
  }
  return { kind: 'to-dial', records, policy, attemptsMade, maxAttempts };
}

async function planDial(run: JobRun, history: ToDial): Promise<DialPlan> {
  const { deps, data } = run;
  const ringTimeoutMs = data.ringTimeoutMs ?? deps.defaults.ringTimeoutMs;
  const maxCallLengthMs = data.maxCallLengthMs ?? deps.defaults.maxCallLengthMs;
  const normalized = normalizeNumber(data.number, { field: 'number' });
  const remembered = normalized.country
    ? await deps.formats.get(deps.trunk.name, normalized.country)
    : undefined;
  const formats = dialAttemptsFor(
    normalized,
    deps.trunk.dialFormats.map((f) => ({
      name: f.format,
      ...(f.prefix !== undefined ? { prefix: f.prefix } : {}),
    })),
    remembered,
  );
  const campaign = data.campaign !== undefined ? await deps.campaignCallFor?.(data) : undefined;
  const amd = data.amd ?? campaign?.amd;
  const script =
    campaign?.script === undefined ? data.script : { ...campaign.script, ...(data.script ?? {}) };
  return {
    ...(amd !== undefined ? { amd } : {}),
    ...(script !== undefined ? { script } : {}),
    attempt: history.attemptsMade + 1,
    ringTimeoutMs,
    maxCallLengthMs,
    liveMs: ringTimeoutMs + maxCallLengthMs + (deps.fenceMarginMs ?? 60_000),
    normalized,
    formats,
  };
}

/** The attempt's caller ID (the campaign pool's, the job's or the trunk's) and whether it is withheld. */
async function callerIdOf(run: JobRun): Promise<Pick<DialPlan, 'callerId' | 'callerIdWithheld'>> {
  const { deps, data } = run;
  const caller = data.campaign !== undefined ? await deps.campaignCallFor?.(data) : undefined;
  const callerId = (await poolCallerId(deps, data, caller)) ?? data.callerId ?? deps.trunk.callerId;
  const withheld = data.callerIdWithheld ?? caller?.callerIdWithheld ?? false;
  return {
    ...(callerId !== undefined ? { callerId } : {}),
    ...(withheld ? { callerIdWithheld: true } : {}),
  };
}

/**
 * The campaign pool's caller ID for this callee: the longest shared prefix in the callee's
 * country, the next one when the daily cap is reached; undefined when none matches or all are
 * at their cap (the job's or trunk's caller ID is used then).
 */
async function poolCallerId(
  deps: CallProcessorDeps,
  data: DialJob,
  caller: CampaignCallSettings | undefined,
): Promise<string | undefined> {
  const pool = caller?.callerIds;
  if (pool === undefined || pool.length === 0) return undefined;
  const ranked = rankCallerIds(data.number, pool);
  const cap = caller?.callerIdDailyCap;
  if (cap === undefined || deps.callerIdCap === undefined) return ranked[0];
  return deps.callerIdCap.take(ranked, cap);
}

/** One attempt: the dial formats in order until one is not refused as a wrong format. */
async function dialFormats(
  run: JobRun,
  history: ToDial,
  plan: DialPlan,
  abort: AbortSignal,
  nextStart: (signal: AbortSignal) => Promise<void>,
): Promise<DialEnd> {
  const { deps, jobId, data } = run;
  const attempts: AttemptRecord[] = [...history.records];
  let last: { record: AttemptRecord; decision: RetryDecision } | undefined;
  for (let i = 0; i < plan.formats.length; i++) {
    const format = plan.formats[i] as DialFormat;
    // The gate paced the first INVITE; each further one waits its own turn at the carrier.
    if (i > 0) await nextStart(abort);
    const uri = buildRequestUri(formatForDial(plan.normalized, format), deps.trunk.domain);
    const record = newAttemptRecord({
      attempt: plan.attempt,
      uri,
      dialFormat: format.name,
      workerId: deps.workerId,
      ...(plan.callerId !== undefined ? { callerId: plan.callerId } : {}),
      ...(plan.callerIdWithheld === true ? { callerIdWithheld: true } : {}),
    });
    const fenced = await deps.fence.begin(jobId, data.number, record, plan.liveMs);
    if (!fenced.ok && 'answered' in fenced) return { kind: 'answered-elsewhere' };
    if (!fenced.ok) return { kind: 'number-in-call', waitMs: fenced.waitMs };
    run.logger.debug({ uri, attempt: plan.attempt }, 'dialing');
    deps.events?.({ type: 'initiated', ...eventBase(jobId, data), attempt: plan.attempt, uri });
    const placed = await placeAttempt(attemptInput(run, plan, format, uri, record.id, abort), record);
    last = await recordAttempt(run, history, placed, plan.formats.length - i - 1);
    attempts.push(last.record);
    if (last.decision.action !== 'next-format') {
      if (placed.result.kind === 'answered' && plan.normalized.country && i > 0) {
        await deps.formats.remember(deps.trunk.name, plan.normalized.country, format.name);
      }
      break;
    }
    run.logger.info({ uri, sipCode: placed.result.status }, 'dial format refused; trying the next one');
  }
  return { kind: 'dialed', attempts, ...(last ? { last } : {}) };
}

function attemptInput(
  run: JobRun,
  plan: DialPlan,
  format: DialFormat,
  uri: string,
  attemptId: string,
  abort: AbortSignal,
): PlaceAttemptInput {
  const { deps, jobId, data, logger } = run;
  const amd = amdTimingsOf(plan.amd);
  return {
    engine: deps.engine,
    ports: deps.ports,
    media: deps.media,
    trunk: deps.trunk,
    job: plan.script === data.script ? data : { ...data, script: plan.script },
    ...(plan.callerId !== undefined ? { callerId: plan.callerId } : {}),
    ...(plan.callerIdWithheld === true ? { callerIdWithheld: true } : {}),
    ...(amd !== undefined ? { amd } : {}),
    uri,
    attempt: plan.attempt,
    dialFormat: format.name,
    ringTimeoutMs: plan.ringTimeoutMs,
    maxCallLengthMs: plan.maxCallLengthMs,
    workerId: deps.workerId,
    logger,
    signal: abort,
    jobId,
    ...(deps.events ? { events: deps.events } : {}),
    ...(deps.dialogs
      ? {
          onDialog: (snapshot) =>
            void deps.dialogs
              ?.put({ attemptId, jobId, number: data.number, snapshot })
              .catch((error: unknown) =>
                logger.warn({ err: error }, 'dialog not registered: it ends only by its fence if we die'),
              ),
        }
      : {}),
  };
}

/** Decides what the attempt means, lifts (or keeps) its fence, tells the trunk, and reports it. */
async function recordAttempt(
  run: JobRun,
  history: ToDial,
  placed: PlacedAttempt,
  formatsLeft: number,
): Promise<{ record: AttemptRecord; decision: RetryDecision }> {
  const { deps, jobId, data } = run;
  const attempt = placed.record.attempt;
  const decision = decideRetry(
    placed.result,
    { attempt, maxAttempts: history.maxAttempts, formatsLeft },
    history.policy,
  );
  const record: AttemptRecord = {
    ...placed.record,
    decision: `${decision.action}: ${decision.reason}`,
    pointsTo: decision.status,
    ...(decision.action === 'hold' ? { trunkFault: true } : {}),
  };
  // Gave up without the carrier's final answer: it may still answer, so keep the number. Not
  // after a refused certificate: no INVITE left.
  const uncertain =
    placed.result.kind === 'sip-failure' &&
    placed.result.local === true &&
    placed.result.phase !== 'resolve' &&
    placed.result.errorCode === undefined;
  await Promise.all([
    deps.fence.finish(jobId, data.number, record, uncertain ? (deps.lateAnswerHoldMs ?? 32_000) : 0),
    decision.trunkSignal
      ? deps.feedback.report(decision.trunkSignal, {
          reason: decision.reason,
          number: data.number,
          jobId,
          ...(placed.result.retryAfterMs !== undefined ? { retryAfterMs: placed.result.retryAfterMs } : {}),
        })
      : undefined,
  ]);
  if (record.callId !== undefined) run.logger = run.logger.child({ callId: record.callId });
  run.logger.info(
    { attempt, uri: record.uri, sipCode: record.sipCode, decision: record.decision },
    'attempt ended',
  );
  deps.events?.({ type: 'attempt-ended', ...eventBase(jobId, data), record });
  return { record, decision };
}

/** After the attempt: the final outcome, or back to the queue for later. */
async function conclude(run: JobRun, dialed: DialEnd, abort: AbortSignal): Promise<CallOutcome> {
  const { deps, job, token, jobId, logger, data } = run;
  if (dialed.kind === 'answered-elsewhere')
    return finish(run, await deps.fence.list(jobId, data.number), 'answered', 'answered');
  if (dialed.kind === 'number-in-call') {
    // Looked at again at least every 30 s: the fence may be lifted early (a dead worker's call
    // ended for it), and the fence's own expiry can be far off (max call length).
    const waitMs = Math.min(dialed.waitMs, 30_000);
    logger.info({ waitMs }, 'number has a call that may still be alive; waiting');
    deferred(run, 'number has a live call', Date.now() + waitMs);
    return delay(job, token, Date.now() + waitMs);
  }
  const { attempts, last } = dialed;
  if (!last) return finish(run, attempts, 'failed', 'no dial format to try');
  if (abort.aborted && abort.reason === SHUTDOWN_REASON && last.record.sipCode !== 200) {
    logger.info('worker shutting down: job goes back to the queue');
    return delay(job, token, Date.now() + 1000);
  }
  const { decision } = last;
  switch (decision.action) {
    case 'retry':
      logger.info({ delayMs: decision.delayMs, reason: decision.reason }, 'retry scheduled');
      return delay(job, token, Date.now() + decision.delayMs);
    case 'hold':
      // Info, not warn: the circuit's own line says once why the trunk stopped; a storm of
      // calls under way when it did would each repeat it.
      logger.info({ reason: decision.reason }, 'trunk stopped; job held until it is healthy');
      return delay(job, token, await deps.feedback.holdUntil());
    default:
      return finish(run, attempts, decision.status, decision.reason);
  }
}

function deferred(run: JobRun, reason: string, until: number): void {
  run.deps.events?.({ type: 'deferred', ...eventBase(run.jobId, run.data), reason, until });
}

async function delay(job: Job, token: string | undefined, until: number): Promise<never> {
  await job.moveToDelayed(Math.max(until, Date.now() + 1), token);
  throw new DelayedError();
}

async function finish(
  run: JobRun,
  attempts: readonly AttemptRecord[],
  status: FinalStatus,
  reason: string,
): Promise<CallOutcome> {
  const { deps, jobId, data, logger } = run;
  const outcome = buildCallOutcome({ jobId, job: data, status, reason, attempts });
  const stored = await deps.outcomes.writeOnce(outcome);
  if (stored.written)
    deps.events?.({
      type: 'completed',
      ...eventBase(jobId, data),
      outcome: stored.outcome,
      ...(stored.campaignCompletedAt !== undefined && { campaignCompletedAt: stored.campaignCompletedAt }),
    });
  logger.info(
    { status: stored.outcome.status, attempts: attempts.length, written: stored.written },
    'final outcome',
  );
  return stored.outcome;
}

function isAnswered(record: AttemptRecord): boolean {
  return record.state === 'done' && record.sipCode === 200 && record.noPerson !== true;
}

/** The status the last attempt pointed to, for a job whose attempts ran out on a re-run. */
function statusOf(record: AttemptRecord | undefined): FinalStatus {
  if (!record || record.state === 'interrupted') return 'failed';
  return record.pointsTo ?? 'failed';
}

function eventBase(
  jobId: string,
  data: DialJob,
): { jobId: string; trunk: string; campaign?: string; to: string; at: number } {
  return {
    jobId,
    trunk: data.trunk,
    ...(data.campaign !== undefined ? { campaign: data.campaign } : {}),
    to: data.number,
    at: Date.now(),
  };
}

function fallbackJob(data: unknown, trunk: string): DialJob {
  const d = (data ?? {}) as Partial<DialJob>;
  return {
    v: 1,
    number: typeof d.number === 'string' ? d.number : '',
    trunk,
    enqueuedAt: typeof d.enqueuedAt === 'number' ? d.enqueuedAt : Date.now(),
  };
}
