import { SipFailure, type CancelCause, type SipFailurePhase } from '../sip-failure.js';
import type { SipResponse } from './message/sip-message.js';
import { parseRetryAfter } from '../retry-after.js';

export function failureFromResponse(
  response: SipResponse,
  phase: SipFailurePhase,
  extra: {
    cancelCause?: CancelCause | undefined;
    unsupportedAlgorithm?: string;
    afterCredentials?: boolean;
  } = {},
): SipFailure {
  return new SipFailure({
    status: response.status,
    reason: response.reason,
    phase,
    headers: response.headers.toRecord(),
    retryAfterMs: parseRetryAfter(response.headers.get('Retry-After')),
    ...(extra.cancelCause ? { cancelCause: extra.cancelCause } : {}),
    ...(extra.unsupportedAlgorithm ? { unsupportedAlgorithm: extra.unsupportedAlgorithm } : {}),
    ...(extra.afterCredentials ? { afterCredentials: true } : {}),
  });
}
