import type { AttemptRecord, CallOutcome } from './call-outcome.js';

interface EventBase {
  readonly jobId: string;
  readonly trunk: string;
  readonly campaign?: string;
  /** E.164. */
  readonly to: string;
  /** ms since the epoch. */
  readonly at: number;
}

/**
 * What happens to a call, as it happens: the seam for metrics, status callbacks and progress.
 * Listeners must not throw or block; they are called synchronously on the call's path.
 */
export type CallLifecycleEvent =
  | (EventBase & { readonly type: 'initiated'; readonly attempt: number; readonly uri: string })
  | (EventBase & {
      readonly type: 'ringing';
      readonly attempt: number;
      readonly status: number;
      readonly afterMs: number;
    })
  | (EventBase & {
      readonly type: 'answered';
      readonly attempt: number;
      readonly callId: string;
      readonly setupMs: number;
      readonly postDialDelayMs?: number;
    })
  | (EventBase & { readonly type: 'attempt-ended'; readonly record: AttemptRecord })
  /** Taken but not dialed now (pace, channels, circuit, calling hours, a live call…): back in the queue until `until`. */
  | (EventBase & { readonly type: 'deferred'; readonly reason: string; readonly until: number })
  | (EventBase & {
      readonly type: 'completed';
      readonly outcome: CallOutcome;
      /** Set when this outcome was its campaign's last: the campaign's completedAt. */
      readonly campaignCompletedAt?: number;
    });

export type CallEventSink = (event: CallLifecycleEvent) => void;
