import type { FinalStatus } from './final-status.js';
import type { TrunkSignal } from './retry-decision.js';

/**
 * `final`: end the job; `retry`: try again after a delay; `next-format`: try the trunk's next dial
 * format at once (then end when none is left); `hold`: keep the job and stop the trunk.
 */
export type RetryAction = 'final' | 'retry' | 'next-format' | 'hold';

/** Which configured delay a retry waits. `carrier-error` grows exponentially with jitter. */
export type RetryDelayKind = 'busy' | 'no-answer' | 'carrier-error' | 'machine';

/** One row of the retry table. */
export interface RetryRule {
  /** The status the job ends with when this rule ends it (or would have retried but cannot). */
  readonly status: FinalStatus;
  readonly action: RetryAction;
  /** For `retry`. Default: `busy`, `no-answer` and `machine` for those statuses, else `carrier-error`. */
  readonly delay?: RetryDelayKind;
  readonly trunkSignal?: TrunkSignal;
}

/**
 * Keys of the retry table, most specific first when looking up a result:
 * a SIP code (`486`), a class (`4xx`), or a pseudo-key for results that have no carrier code:
 * `transport` (no answer from the carrier, unresolvable, connection lost; also locally synthesised codes),
 * `rate-limited` (a final-action code whose reason mentions CPS/rate/limit), `403-after-credentials`
 * (a 403 to a request that carried our credentials; a plain `403` row covers the others),
 * `tls-certificate` (the carrier's TLS certificate did not verify: no INVITE left), `error`
 * (our own failure), and for answered calls with answering-machine detection `machine`,
 * `voicemail-left` and `sit-<class>` (a special information tone, in early media or after the answer).
 */
export const FORBIDDEN_AFTER_CREDENTIALS = '403-after-credentials';
export const TLS_CERTIFICATE = 'tls-certificate';
export const RETRY_PSEUDO_KEYS = Object.freeze([
  'transport',
  'rate-limited',
  FORBIDDEN_AFTER_CREDENTIALS,
  TLS_CERTIFICATE,
  'error',
  'machine',
  'voicemail-left',
  'sit-vacant',
  'sit-intercept',
  'sit-no-circuit',
  'sit-reorder',
  'sit-unknown',
] as const);

const RULE_KEY =
  /^(?:[1-6][0-9][0-9]|[2-6]xx|transport|rate-limited|403-after-credentials|tls-certificate|error|machine|voicemail-left|sit-(?:vacant|intercept|no-circuit|reorder|unknown))$/;

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
  // The carrier's certificate: every number would fail the same way until it (or our CA bundle)
  // is fixed. The job is kept, uncounted, and the trunk stops at once (carrier trouble, probed).
  [TLS_CERTIFICATE]: { status: 'unreachable', action: 'hold', trunkSignal: 'carrier-fault' },
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
  // A machine hung up on: call again later, when a person may pick up (VICIdial's lead recycling).
  machine: { status: 'machine', action: 'retry', delay: 'machine', trunkSignal: 'ok' },
  'voicemail-left': { status: 'voicemail-left', action: 'final', trunkSignal: 'ok' },
  // The network's tones after the answer: no such number, or its trouble (as a 503 would be).
  'sit-vacant': { status: 'invalid-number', action: 'final', trunkSignal: 'ok' },
  'sit-intercept': { status: 'invalid-number', action: 'final', trunkSignal: 'ok' },
  'sit-no-circuit': carrierTrouble,
  'sit-reorder': carrierTrouble,
  'sit-unknown': carrierTrouble,
  error: { status: 'failed', action: 'final' },
});
