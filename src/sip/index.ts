export type {
  CallEnd,
  CallEndedBy,
  CallLeg,
  CallLegEvents,
  CallTimings,
  InviteOptions,
  ProvisionalInfo,
  Registration,
  RegistrationEvents,
  RegistrationState,
  RegistrationStatus,
  SipEngine,
  SipDtmf,
} from './engine.js';
export { SipFailure, type SipFailureInit, type SipFailurePhase, type CancelCause } from './sip-failure.js';
export { trunkCredentials, type SipTrunk, type SipTrunkTls } from './sip-trunk.js';
export { callerAttestationOf, type CallerAttestation } from './caller-attestation.js';
export { ANONYMOUS_FROM, callerPresentation, type CallerPresentation } from './caller-presentation.js';
export { createSipEngine, type CreateSipEngineOptions } from './create-sip-engine.js';
export { EngineUnavailableError } from './engine-unavailable-error.js';
export { EngineFeatureUnsupportedError } from './engine-feature-unsupported-error.js';
export type { DialogSnapshot, OrphanDialogEnd, OrphanEndOptions } from './dialog-snapshot.js';
export { EmbeddedSipEngine, type EmbeddedEngineOptions } from './embedded/embedded-engine.js';
export type { SipTraceEntry, SipTraceSink } from './embedded/sip-trace.js';
export { HeaderValueError } from './header-value-error.js';
export { type SipSecurityStats } from './sip-security-stats.js';
export { TlsCertificateRejectedError } from './embedded/transport/tls-certificate-rejected-error.js';
export { TlsConfigError } from './embedded/tls-config-error.js';
