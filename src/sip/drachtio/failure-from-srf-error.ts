import { SipFailure, type CancelCause, type SipFailurePhase } from '../sip-failure.js';
import { parseRetryAfter } from '../retry-after.js';
import { isSrfSipError, type SrfResponse } from './srf-api.js';

/**
 * A SipFailure for what a drachtio-srf promise rejected with: a `SipError` carries the final
 * response (status, headers, Retry-After); anything else (an assert while disconnected, a socket
 * error) is a local transport failure, so no AssertionError ever reaches the caller.
 */
export function failureFromSrfError(
  error: unknown,
  context: { phase: SipFailurePhase; cancelCause?: CancelCause | undefined; afterCredentials?: boolean },
): SipFailure {
  if (isSrfSipError(error)) {
    const res = error.res;
    return new SipFailure({
      status: error.status,
      reason: error.reason ?? res?.reason ?? '',
      phase: context.phase,
      ...(res ? failureFieldsOf(res) : { local: true }),
      ...(context.cancelCause ? { cancelCause: context.cancelCause } : {}),
      ...(res && context.afterCredentials ? { afterCredentials: true } : {}),
      cause: error,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new SipFailure({
    status: 503,
    reason: `drachtio request failed: ${message}`,
    phase: 'transport',
    local: true,
    ...(context.cancelCause ? { cancelCause: context.cancelCause } : {}),
    cause: error,
  });
}

/** Headers (names lower-cased) and Retry-After of a final response. */
export function failureFieldsOf(res: SrfResponse): {
  headers: Record<string, string>;
  retryAfterMs?: number;
} {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(res.headers)) headers[name.toLowerCase()] = String(value);
  const retryAfterMs = parseRetryAfter(res.get('Retry-After'));
  return { headers, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
}
