export type { AttemptPhase, AttemptResult } from './attempt-result.js';
export { carrierBackoffMs, type BackoffJitter, type CarrierBackoffOptions } from './carrier-backoff.js';
export { FINAL_STATUSES, isFinalStatus, type FinalStatus } from './final-status.js';
export { InvalidRetryPolicyError } from './invalid-retry-policy-error.js';
export type { RetryDecision, TrunkSignal } from './retry-decision.js';
export {
  buildRetryPolicy,
  decideRetry,
  defaultRetryPolicy,
  mergeRetryPolicy,
  type RetryContext,
  type RetryDelays,
  type RetryPolicy,
  type RetryPolicyInput,
  type RetryPolicyOverride,
  type RetryRuleOverride,
} from './retry-policy.js';
export {
  DEFAULT_RETRY_RULES,
  RETRY_PSEUDO_KEYS,
  isRetryRuleKey,
  type RetryAction,
  type RetryDelayKind,
  type RetryRule,
} from './retry-rule.js';
