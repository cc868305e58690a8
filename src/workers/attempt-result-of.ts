import type { AttemptResult } from '../jobs/index.js';
import { SipFailure } from '../sip/index.js';

/** What the retry policy needs to know of an INVITE's failure, and nothing of the wire. */
export function attemptResultOf(error: unknown): AttemptResult {
  if (error instanceof SipFailure) {
    return {
      kind: 'sip-failure',
      status: error.status,
      phase: error.phase,
      local: error.local,
      reason: error.reason,
      ...(error.afterCredentials ? { afterCredentials: true } : {}),
      ...(error.cancelCause ? { cancelCause: error.cancelCause } : {}),
      ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
    };
  }
  return { kind: 'error', reason: error instanceof Error ? error.message : String(error) };
}
