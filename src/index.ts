// The package's public surface, on purpose: what another service needs to enqueue calls and read
// their outcomes with a Redis URL, to run a worker from code, and the contract types and errors
// those calls can return. Engine internals, Lua scripts and helpers stay private to their folders.
export {
  DialerClient,
  validateJobInput,
  callOutcomeSchema,
  dialJobSchema,
  isFinalStatus,
  FINAL_STATUSES,
  EnqueueError,
  OutcomeTimeoutError,
  InvalidCampaignError,
  CampaignNotFoundError,
  CampaignConflictError,
  ImportInProgressError,
  CampaignStateError,
  JobIdError,
  InvalidRetryPolicyError,
  type DialerClientOptions,
  type EnqueueCallInput,
  type EnqueuedCall,
  type EnqueueManyResult,
  type DialJob,
  type CallScript,
  type CallOutcome,
  type AttemptRecord,
  type AttemptMediaStats,
  type OrphanEnd,
  type FinalStatus,
  type CallLifecycleEvent,
  type CampaignSettings,
  type CampaignStatus,
  type RetryPolicyOverride,
} from './jobs/index.js';
export { loadConfig, parseConfig, ConfigError, type DialerConfig, type TrunkConfig } from './config/index.js';
export { createLogger, type Logger } from './log/index.js';
export { DialerError } from './kernel/index.js';
export {
  createSipEngine,
  SipFailure,
  EngineUnavailableError,
  EngineFeatureUnsupportedError,
  HeaderValueError,
  type SipEngine,
  type SipTrunk,
  type CallLeg,
  type CallEnd,
  type InviteOptions,
  type SipFailurePhase,
} from './sip/index.js';
export { normalizeNumber, InvalidNumberError, type NormalizedNumber } from './numbers/index.js';
export {
  DialerWorker,
  type DialerWorkerOptions,
  type CallObserver,
  type CallObserverStart,
  type ObservedWorker,
} from './workers/index.js';
export { startWorkerProcess, type WorkerProcess } from './cli/index.js';
export {
  verifyCallbackSignature,
  type VerifyCallbackInput,
  type CallbackEvent,
  type CampaignCompletedEvent,
} from './callbacks/index.js';
