import type { CallOutcome } from '../jobs/index.js';
import type { CallLifecycleEvent } from '../jobs/index.js';

export const CALLBACK_EVENT_TYPES = ['initiated', 'ringing', 'answered', 'completed'] as const;
export type CallbackEventType = (typeof CALLBACK_EVENT_TYPES)[number];

/**
 * The JSON body a status callback receives. `sequence` counts a job's events from 1 in the order
 * they happened (retries of the call included); deliveries of one job arrive in that order.
 */
export interface CallbackEvent {
  /** `<jobId>/<sequence>`: the same on every delivery attempt of this event (dedupe on it). */
  readonly id: string;
  readonly type: CallbackEventType;
  readonly sequence: number;
  readonly jobId: string;
  readonly trunk: string;
  readonly campaign?: string;
  /** E.164. */
  readonly to: string;
  /** When it happened, ms since the epoch. */
  readonly at: number;
  /** Call attempt (1-based; dial format fallbacks share it). */
  readonly attempt?: number;
  /** initiated: the Request-URI dialed. */
  readonly uri?: string;
  /** ringing: the provisional status (180, 183). */
  readonly sipCode?: number;
  /** ringing: post-dial delay, ms since the INVITE. */
  readonly afterMs?: number;
  /** answered. */
  readonly callId?: string;
  readonly setupMs?: number;
  readonly postDialDelayMs?: number;
  /** completed: the final outcome, as `DialerClient.getOutcome` returns it. */
  readonly outcome?: CallOutcome;
}

/** The lifecycle events callbacks carry; attempt-ended and deferred stay internal. */
export function isCallbackEvent(
  event: CallLifecycleEvent,
): event is Extract<CallLifecycleEvent, { type: CallbackEventType }> {
  return (CALLBACK_EVENT_TYPES as readonly string[]).includes(event.type);
}

/** The callback body of a lifecycle event, numbered `sequence` within its job. */
export function callbackEventOf(
  event: Extract<CallLifecycleEvent, { type: CallbackEventType }>,
  sequence: number,
): CallbackEvent {
  const base = {
    id: `${event.jobId}/${sequence}`,
    type: event.type,
    sequence,
    jobId: event.jobId,
    trunk: event.trunk,
    ...(event.campaign !== undefined ? { campaign: event.campaign } : {}),
    to: event.to,
    at: event.at,
  };
  switch (event.type) {
    case 'initiated':
      return { ...base, attempt: event.attempt, uri: event.uri };
    case 'ringing':
      return { ...base, attempt: event.attempt, sipCode: event.status, afterMs: event.afterMs };
    case 'answered':
      return {
        ...base,
        attempt: event.attempt,
        callId: event.callId,
        setupMs: event.setupMs,
        ...(event.postDialDelayMs !== undefined ? { postDialDelayMs: event.postDialDelayMs } : {}),
      };
    case 'completed':
      return { ...base, outcome: event.outcome };
  }
}
