import type { FinalStatus } from './final-status.js';

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
