import type { FinalStatus } from './final-status.js';
import type { TrunkSignal } from './retry-decision.js';

/**
 * `final`: end the job; `retry`: try again after a delay; `next-format`: try the trunk's next dial
 * format at once (then end when none is left); `hold`: keep the job and stop the trunk.
 */
export type RetryAction = 'final' | 'retry' | 'next-format' | 'hold';

/** Which configured delay a retry waits. `carrier-error` grows exponentially with jitter. */
export type RetryDelayKind = 'busy' | 'no-answer' | 'carrier-error';

/** One row of the retry table. */
export interface RetryRule {
  /** The status the job ends with when this rule ends it (or would have retried but cannot). */
  readonly status: FinalStatus;
  readonly action: RetryAction;
  /** For `retry`. Default: `busy` for busy, `no-answer` for no-answer, else `carrier-error`. */
  readonly delay?: RetryDelayKind;
  readonly trunkSignal?: TrunkSignal;
}

/**
 * Keys of the retry table, most specific first when looking up a result:
 * a SIP code (`486`), a class (`4xx`), or a pseudo-key for results that have no carrier code:
 * `transport` (no answer from the carrier, unresolvable, connection lost; also locally synthesised codes),
 * `rate-limited` (a final-action code whose reason mentions CPS/rate/limit), `403-after-credentials`
 * (a 403 to a request that carried our credentials; a plain `403` row covers the others) and `error`
 * (our own failure).
 */
export const FORBIDDEN_AFTER_CREDENTIALS = '403-after-credentials';
export const RETRY_PSEUDO_KEYS = Object.freeze([
  'transport',
  'rate-limited',
  FORBIDDEN_AFTER_CREDENTIALS,
  'error',
] as const);

const RULE_KEY = /^(?:[1-6][0-9][0-9]|[2-6]xx|transport|rate-limited|403-after-credentials|error)$/;

export function isRetryRuleKey(key: string): boolean {
  return RULE_KEY.test(key);
}

const carrierTrouble: RetryRule = {
  status: 'unreachable',
  action: 'retry',
  delay: 'carrier-error',
  trunkSignal: 'carrier-error',
};
const slowDown: RetryRule = { ...carrierTrouble, trunkSignal: 'slow-down' };
const wrongFormat: RetryRule = { status: 'invalid-number', action: 'next-format', trunkSignal: 'ok' };
const busy: RetryRule = { status: 'busy', action: 'retry', delay: 'busy', trunkSignal: 'ok' };
const noAnswer: RetryRule = { status: 'no-answer', action: 'retry', delay: 'no-answer', trunkSignal: 'ok' };
const declined: RetryRule = { status: 'declined', action: 'final', trunkSignal: 'ok' };
const failed: RetryRule = { status: 'failed', action: 'final', trunkSignal: 'ok' };
const authFailed: RetryRule = { status: 'auth-failed', action: 'hold', trunkSignal: 'auth-failed' };
// Not the number's refusal until the trunk is known good: the job is kept, the trunk gets a strike.
const trunkFault: RetryRule = { status: 'auth-failed', action: 'hold', trunkSignal: 'auth-strike' };

/** The table of DESIGN.md "Outcomes and retries", as data. */
export const DEFAULT_RETRY_RULES: Readonly<Record<string, RetryRule>> = Object.freeze({
  // The engine already answered one fresh challenge; a 401/407 reaching us means the credentials are wrong.
  '401': authFailed,
  '407': authFailed,
  '404': wrongFormat,
  '484': wrongFormat,
  '485': wrongFormat,
  '604': wrongFormat,
  // The carrier understood the number and says it no longer exists: another format will not help.
  '410': { status: 'invalid-number', action: 'final', trunkSignal: 'ok' },
  '486': busy,
  '600': busy,
  '408': noAnswer,
  '480': noAnswer,
  // 487 after our ring-timeout CANCEL; an aborted call is `cancelled` before the table is read.
  '487': noAnswer,
  '403': declined,
  // A wrong password or an account the carrier wants registered, far more often than the callee.
  [FORBIDDEN_AFTER_CREDENTIALS]: trunkFault,
  '603': declined,
  '606': declined,
  '500': carrierTrouble,
  '502': carrierTrouble,
  '503': slowDown,
  '504': carrierTrouble,
  // Redirects are not followed.
  '3xx': failed,
  // Other 4xx: the request was wrong (488 codecs, 415, 420…): our fault, retrying will not help.
  '4xx': failed,
  // 501, 505, 513, 580: deterministic refusals of what we sent.
  '5xx': failed,
  // 607 Unwanted, 608 Rejected and other global refusals.
  '6xx': declined,
  '2xx': { status: 'answered', action: 'final', trunkSignal: 'ok' },
  transport: carrierTrouble,
  'rate-limited': slowDown,
  error: { status: 'failed', action: 'final' },
});
