import type { AttemptResult } from '../jobs/index.js';
import { SrtpNegotiationError } from '../media/index.js';
import { SipFailure, TlsCertificateRejectedError } from '../sip/index.js';

/** What the retry policy needs to know of an INVITE's failure, and nothing of the wire. */
export function attemptResultOf(error: unknown): AttemptResult {
  if (error instanceof SipFailure) {
    return {
      kind: 'sip-failure',
      status: error.status,
      phase: error.phase,
      local: error.local,
      reason: error.reason,
      ...(certificateRejection(error) ? { errorCode: 'TLS_CERTIFICATE_REJECTED' as const } : {}),
      ...(error.afterCredentials ? { afterCredentials: true } : {}),
      ...(error.cancelCause ? { cancelCause: error.cancelCause } : {}),
      ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
    };
  }
  if (error instanceof SrtpNegotiationError)
    return { kind: 'error', errorCode: 'SRTP_NEGOTIATION_FAILED', reason: error.message };
  return { kind: 'error', reason: error instanceof Error ? error.message : String(error) };
}

/** Whether a TLS certificate refusal is down the failure's cause chain (bounded: causes may loop). */
function certificateRejection(error: Error): boolean {
  let cause: unknown = error.cause;
  for (let depth = 0; depth < 8 && cause instanceof Error; depth++) {
    if (cause instanceof TlsCertificateRejectedError) return true;
    cause = cause.cause;
  }
  return false;
}
