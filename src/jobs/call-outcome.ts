import { z } from 'zod';
import { FINAL_STATUSES, type FinalStatus } from './final-status.js';

/** One INVITE attempt (a format fallback is its own attempt record with the same `attempt` number). */
export interface AttemptRecord {
  /** 1-based attempt number (format fallbacks share it). */
  readonly attempt: number;
  /** Unique id: fences the attempt in Redis. */
  readonly id: string;
  readonly uri: string;
  readonly dialFormat?: string;
  /** ms since the epoch. */
  readonly startedAt: number;
  /** ms since the epoch when the INVITE left (answered calls). */
  readonly inviteSentAt?: number;
  readonly endedAt?: number;
  /** `live` while the INVITE may be alive; `interrupted` when a worker died during it. */
  readonly state: 'live' | 'done' | 'interrupted';
  readonly sipCode?: number;
  readonly reason?: string;
  readonly phase?: string;
  readonly postDialDelayMs?: number;
  readonly setupMs?: number;
  readonly talkMs?: number;
  readonly hangupBy?: 'local' | 'remote' | 'error';
  readonly callId?: string;
  readonly worker?: string;
  /** What the retry policy decided after it: `retry: 486 Busy Here …`. */
  readonly decision?: string;
  /** The status the job would end with if this were the last attempt. */
  readonly pointsTo?: FinalStatus;
}

/** The one final outcome of a job. */
export interface CallOutcome {
  readonly jobId: string;
  readonly to: string;
  readonly trunk: string;
  readonly campaign?: string;
  readonly status: FinalStatus;
  readonly reason: string;
  readonly attempts: readonly AttemptRecord[];
  readonly enqueuedAt: number;
  readonly completedAt: number;
  readonly metadata?: Readonly<Record<string, unknown>>;
  readonly digits?: string;
  readonly talkMs?: number;
}

/** Runtime schema of an outcome, for readers that take it from Redis or the stream. */
export const attemptRecordSchema = z
  .object({
    attempt: z.number().int().min(1),
    id: z.string(),
    uri: z.string(),
    dialFormat: z.string().optional(),
    startedAt: z.number(),
    inviteSentAt: z.number().optional(),
    endedAt: z.number().optional(),
    state: z.enum(['live', 'done', 'interrupted']),
    sipCode: z.number().int().optional(),
    reason: z.string().optional(),
    phase: z.string().optional(),
    postDialDelayMs: z.number().optional(),
    setupMs: z.number().optional(),
    talkMs: z.number().optional(),
    hangupBy: z.enum(['local', 'remote', 'error']).optional(),
    callId: z.string().optional(),
    worker: z.string().optional(),
    decision: z.string().optional(),
    pointsTo: z.enum(FINAL_STATUSES).optional(),
  })
  .loose();

export const callOutcomeSchema = z
  .object({
    jobId: z.string(),
    to: z.string(),
    trunk: z.string(),
    campaign: z.string().optional(),
    status: z.enum(FINAL_STATUSES),
    reason: z.string(),
    attempts: z.array(attemptRecordSchema),
    enqueuedAt: z.number(),
    completedAt: z.number(),
    metadata: z.record(z.string(), z.unknown()).optional(),
    digits: z.string().optional(),
    talkMs: z.number().optional(),
  })
  .loose();
