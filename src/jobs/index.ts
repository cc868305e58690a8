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
export {
  attemptRecordSchema,
  callOutcomeSchema,
  type AttemptRecord,
  type OrphanEnd,
  type CallOutcome,
} from './call-outcome.js';
export { dialJobSchema, callScriptSchema, type CallScript, type DialJob } from './dial-job.js';
export { NAME_PATTERN } from '../kernel/index.js';
export { DialerKeys } from '../kernel/index.js';
export {
  DialerClient,
  DIAL_JOB_OPTIONS,
  type DialerClientOptions,
  type EnqueuedCall,
  type EnqueueManyResult,
} from './dialer-client.js';
export { validateJobInput, type EnqueueCallInput } from './validate-job-input.js';
export { callbackUrlProblem } from './callback-url-problem.js';
export { EnqueueError } from './enqueue-error.js';
export { OutcomeTimeoutError } from './outcome-timeout-error.js';
export { OutcomeStore, type OutcomeStoreOptions } from './outcome-store.js';
export { TrunkDirectory, type TrunkInfo } from './trunk-directory.js';
export { jobIdFor, type JobIdInput } from './job-id.js';
export { JobIdError } from './job-id-error.js';
export {
  CampaignStore,
  type CampaignRecord,
  type CampaignStatus,
  type CreateCampaignResult,
} from './campaign-store.js';
export { CampaignControl } from './campaign-control.js';
export {
  normalizeCampaignSettings,
  validateCampaignName,
  type CampaignSettings,
} from './campaign-settings.js';
export { CAMPAIGN_STATES, isCampaignState, type CampaignState } from './campaign-state.js';
export { parseCampaignControlMessage, type CampaignControlMessage } from './campaign-control-message.js';
export {
  importCampaignCsv,
  type CampaignImportInput,
  type EnqueueBatch,
  type ImportBadRow,
  type ImportProgress,
  type ImportReport,
} from './campaign-import.js';
export { InvalidCampaignError } from './invalid-campaign-error.js';
export { CampaignNotFoundError } from './campaign-not-found-error.js';
export { CampaignConflictError } from './campaign-conflict-error.js';
export { CampaignStateError } from './campaign-state-error.js';
export { type AttemptMediaStats } from './call-outcome.js';
export { type CallEventSink, type CallLifecycleEvent } from './call-lifecycle-event.js';
