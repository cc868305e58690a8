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
export {
  AMD_OPTION_NAMES,
  BEEP_BAND_DEFAULT,
  amdSettingProblem,
  amdTimingsOf,
  type AmdSetting,
  type AmdTimings,
} from './amd-setting.js';
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
export { buildDialJob, type DialJobParts } from './build-dial-job.js';
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
  type CampaignCallSettings,
} from './campaign-settings.js';
export { CAMPAIGN_STATES, CONTROL_STATES, isCampaignState, type CampaignState } from './campaign-state.js';
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
export { ImportInProgressError } from './import-in-progress-error.js';
export { CallNotFoundError } from './call-not-found-error.js';
export { readCallState, type CallState } from './read-call-state.js';
export { CampaignStateError } from './campaign-state-error.js';
export {
  type AttemptAmd,
  type AttemptAttestation,
  type AttemptMediaStats,
  type AttemptRecording,
  type AttemptSit,
} from './call-outcome.js';
export { buildCallOutcome, type CallOutcomeParts } from './build-call-outcome.js';
export { type CallEventSink, type CallLifecycleEvent } from './call-lifecycle-event.js';
export {
  createCampaignAndImport,
  type CampaignImportRequest,
  type CampaignImportResult,
} from './create-campaign-and-import.js';
export { recoverInterruptedImports } from './recover-interrupted-imports.js';
export { ImportRecovery } from './import-recovery.js';
export { type LastImport } from './last-import.js';
export { UploadAbortedError } from './upload-aborted-error.js';
export {
  migrateNumberKeys,
  type MigrateNumberKeysOptions,
  type NumberKeysMoved,
} from './migrate-number-keys.js';
export { migrateTrunkKeys, type MigrateTrunkKeysOptions, type TrunkKeysMoved } from './migrate-trunk-keys.js';
export { MigrationRefusedError } from './migration-refused-error.js';
