import { DelayedError, type Job } from 'bullmq';
import type { CallDefaultsConfig, TrunkConfig } from '../config/index.js';
import type { CallOutcome, AttemptRecord } from '../jobs/index.js';
import { dialJobSchema, type DialJob } from '../jobs/index.js';
import type { FinalStatus } from '../jobs/index.js';
import type { OutcomeStore } from '../jobs/index.js';
import { decideRetry, type RetryPolicy } from '../jobs/index.js';
import type { RetryDecision } from '../jobs/index.js';
import type { Logger } from '../log/index.js';
import type { RtpPortPool } from '../media/index.js';
import { dialAttemptsFor } from '../numbers/index.js';
import { formatForDial, type DialFormat } from '../numbers/index.js';
import { normalizeNumber } from '../numbers/index.js';
import { buildRequestUri } from '../numbers/index.js';
import type { SipEngine } from '../sip/index.js';
import type { AttemptFence } from './attempt-fence.js';
import type { DialogRegistry } from './dialog-registry.js';
import type { CallEventSink } from '../jobs/index.js';
import type { DialGate, TrunkFeedback } from './dial-gate.js';
import type { FormatMemory } from './format-memory.js';
import { newAttemptRecord, placeAttempt } from './place-attempt.js';

export interface CallProcessorDeps {
  readonly engine: SipEngine;
  readonly ports: RtpPortPool;
  readonly trunk: TrunkConfig;
  readonly defaults: CallDefaultsConfig;
  readonly fence: AttemptFence;
  readonly outcomes: OutcomeStore;
  readonly formats: FormatMemory;
  readonly gate: DialGate;
  readonly feedback: TrunkFeedback;
  /** The retry policy for a job (campaign overrides applied). */
  readonly policyFor: (job: DialJob) => Promise<RetryPolicy>;
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
    let logger = deps.logger.child({
      jobId,
      trunk: deps.trunk.name,
      ...(job.data?.campaign ? { campaign: job.data.campaign } : {}),
    });
    const parsed = dialJobSchema.safeParse(job.data);
    if (!parsed.success) {
      logger.error({ issues: parsed.error.issues.slice(0, 3) }, 'job data is not a valid dial job');
      return finish(
        deps,
        jobId,
        fallbackJob(job.data, deps.trunk.name),
        [],
        'failed',
        `invalid job data: ${parsed.error.issues[0]?.message ?? ''}`,
        logger,
      );
    }
    const data = parsed.data;
    const [existing, previous, policy] = await Promise.all([
      deps.outcomes.get(jobId),
      deps.fence.list(jobId),
      deps.policyFor(data),
    ]);
    if (existing) return existing;

    const records = await deps.fence.markInterrupted(jobId, previous);
    // A run that died after the person answered (or whose call another worker ended for it)
    // reached them: that is the outcome, whatever attempts are left.
    const answered = records.find(isAnswered);
    if (answered)
      return finish(deps, jobId, data, records, answered.pointsTo ?? 'answered', 'answered', logger);
    // A suspected trunk fault (held) is not the number's attempt: it must not use up its tries.
    const attemptsMade = new Set(records.filter((r) => r.trunkFault !== true).map((r) => r.attempt)).size;
    const maxAttempts = data.maxAttempts ?? policy.maxAttempts;
    if (attemptsMade >= maxAttempts) {
      const last = records.at(-1);
      return finish(
        deps,
        jobId,
        data,
        records,
        statusOf(last),
        `max attempts (${maxAttempts}) reached${last?.state === 'interrupted' ? '; the last was interrupted' : ''}`,
        logger,
      );
    }

    const verdict = await deps.gate.check(data, jobId);
    if (verdict.kind === 'final')
      return finish(deps, jobId, data, records, verdict.status, verdict.reason, logger);
    if (verdict.kind === 'delay') {
      logger.debug({ until: verdict.until, reason: verdict.reason }, 'job delayed before dialing');
      deps.events?.({
        type: 'deferred',
        ...eventBase(jobId, data),
        reason: verdict.reason,
        until: verdict.until,
      });
      return delay(job, token, verdict.until);
    }

    const ringTimeoutMs = data.ringTimeoutMs ?? deps.defaults.ringTimeoutMs;
    const maxCallLengthMs = data.maxCallLengthMs ?? deps.defaults.maxCallLengthMs;
    const liveMs = ringTimeoutMs + maxCallLengthMs + (deps.fenceMarginMs ?? 60_000);
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
    const attempt = attemptsMade + 1;
    const abort = signal ?? new AbortController().signal;
    const attemptsSoFar: AttemptRecord[] = [...records];
    let decision: RetryDecision | undefined;
    let lastRecord: AttemptRecord | undefined;
    try {
      for (let i = 0; i < formats.length; i++) {
        const format = formats[i] as DialFormat;
        const uri = buildRequestUri(formatForDial(normalized, format), deps.trunk.domain);
        const record = newAttemptRecord({ attempt, uri, dialFormat: format.name, workerId: deps.workerId });
        const fenced = await deps.fence.begin(jobId, data.number, record, liveMs);
        if (!fenced.ok && 'answered' in fenced) {
          const now = await deps.fence.list(jobId);
          return finish(deps, jobId, data, now, 'answered', 'answered', logger);
        }
        if (!fenced.ok) {
          // Looked at again at least every 30 s: the fence may be lifted early (a dead worker's call
          // ended for it), and the fence's own expiry can be far off (max call length).
          const waitMs = Math.min(fenced.waitMs, 30_000);
          logger.info({ waitMs }, 'number has a call that may still be alive; waiting');
          deps.events?.({
            type: 'deferred',
            ...eventBase(jobId, data),
            reason: 'number has a live call',
            until: Date.now() + waitMs,
          });
          return delay(job, token, Date.now() + waitMs);
        }
        logger.debug({ uri, attempt }, 'dialing');
        deps.events?.({ type: 'initiated', ...eventBase(jobId, data), attempt, uri });
        const placed = await placeAttempt(
          {
            engine: deps.engine,
            ports: deps.ports,
            trunk: deps.trunk,
            job: data,
            uri,
            attempt,
            dialFormat: format.name,
            ringTimeoutMs,
            maxCallLengthMs,
            workerId: deps.workerId,
            logger,
            signal: abort,
            jobId,
            ...(deps.events ? { events: deps.events } : {}),
            ...(deps.dialogs
              ? {
                  onDialog: (snapshot) =>
                    void deps.dialogs
                      ?.put({ attemptId: record.id, jobId, number: data.number, snapshot })
                      .catch((error: unknown) =>
                        logger.warn(
                          { err: error },
                          'dialog not registered: it ends only by its fence if we die',
                        ),
                      ),
                }
              : {}),
          },
          record,
        );
        decision = decideRetry(
          placed.result,
          { attempt, maxAttempts, formatsLeft: formats.length - i - 1 },
          policy,
        );
        lastRecord = {
          ...placed.record,
          decision: `${decision.action}: ${decision.reason}`,
          pointsTo: decision.status,
          ...(decision.action === 'hold' ? { trunkFault: true } : {}),
        };
        attemptsSoFar.push(lastRecord);
        // Gave up without the carrier's final answer: it may still answer, so keep the number.
        const uncertain =
          placed.result.kind === 'sip-failure' &&
          placed.result.local === true &&
          placed.result.phase !== 'resolve';
        await Promise.all([
          deps.fence.finish(
            jobId,
            data.number,
            lastRecord,
            uncertain ? (deps.lateAnswerHoldMs ?? 32_000) : 0,
          ),
          decision.trunkSignal
            ? deps.feedback.report(decision.trunkSignal, {
                reason: decision.reason,
                number: data.number,
                jobId,
                ...(placed.result.retryAfterMs !== undefined
                  ? { retryAfterMs: placed.result.retryAfterMs }
                  : {}),
              })
            : undefined,
        ]);
        // Lines after an answered attempt carry its Call-ID, so they join the engine's lines.
        if (lastRecord.callId !== undefined) logger = logger.child({ callId: lastRecord.callId });
        logger.info(
          { attempt, uri, sipCode: lastRecord.sipCode, decision: lastRecord.decision },
          'attempt ended',
        );
        deps.events?.({ type: 'attempt-ended', ...eventBase(jobId, data), record: lastRecord });
        if (decision.action !== 'next-format') {
          if (placed.result.kind === 'answered' && normalized.country && i > 0) {
            await deps.formats.remember(deps.trunk.name, normalized.country, format.name);
          }
          break;
        }
        logger.info({ uri, sipCode: placed.result.status }, 'dial format refused; trying the next one');
      }
    } finally {
      await verdict.release();
    }
    // What Redis holds, known here already: the attempts read at the start plus those just made.
    const all = attemptsSoFar;
    if (!decision || !lastRecord)
      return finish(deps, jobId, data, all, 'failed', 'no dial format to try', logger);
    if (abort.aborted && abort.reason === SHUTDOWN_REASON && lastRecord.sipCode !== 200) {
      logger.info('worker shutting down: job goes back to the queue');
      return delay(job, token, Date.now() + 1000);
    }
    switch (decision.action) {
      case 'retry':
        logger.info({ delayMs: decision.delayMs, reason: decision.reason }, 'retry scheduled');
        return delay(job, token, Date.now() + decision.delayMs);
      case 'hold':
        logger.warn({ reason: decision.reason }, 'trunk stopped; job held until it is healthy');
        return delay(job, token, await deps.feedback.holdUntil());
      default:
        return finish(deps, jobId, data, all, decision.status, decision.reason, logger);
    }
  };
}

async function delay(job: Job, token: string | undefined, until: number): Promise<never> {
  await job.moveToDelayed(Math.max(until, Date.now() + 1), token);
  throw new DelayedError();
}

async function finish(
  deps: CallProcessorDeps,
  jobId: string,
  data: DialJob,
  attempts: readonly AttemptRecord[],
  status: FinalStatus,
  reason: string,
  logger: Logger,
): Promise<CallOutcome> {
  const answered = attempts.find((a) => a.sipCode === 200 && a.state === 'done');
  const outcome: CallOutcome = {
    jobId,
    to: data.number,
    trunk: data.trunk,
    ...(data.campaign !== undefined ? { campaign: data.campaign } : {}),
    status,
    reason,
    attempts,
    enqueuedAt: data.enqueuedAt,
    completedAt: Date.now(),
    ...(data.metadata !== undefined ? { metadata: data.metadata } : {}),
    ...(answered?.talkMs !== undefined ? { talkMs: answered.talkMs } : {}),
    ...(answered?.digits !== undefined ? { digits: answered.digits } : {}),
  };
  const stored = await deps.outcomes.writeOnce(outcome);
  if (stored.written)
    deps.events?.({ type: 'completed', ...eventBase(jobId, data), outcome: stored.outcome });
  logger.info(
    { status: stored.outcome.status, attempts: attempts.length, written: stored.written },
    'final outcome',
  );
  return stored.outcome;
}

function isAnswered(record: AttemptRecord): boolean {
  return record.state === 'done' && record.sipCode === 200;
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
