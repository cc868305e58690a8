export { CircuitSubscriber, type CircuitSubscriberEvents } from './circuit-subscriber.js';
export {
  parseCircuitControlMessage,
  type CircuitControlMessage,
  type CircuitOpenKind,
} from './circuit-control-message.js';
export { InvalidTrunkOptionError } from './invalid-trunk-option-error.js';
export { TrunkClosedError } from './trunk-closed-error.js';
export { ShutdownIncompleteError } from './shutdown-incomplete-error.js';
export { TRUNK_PACE_DEFAULTS } from './trunk-pace-defaults.js';
export {
  TrunkCircuit,
  type CircuitState,
  type DialPermission,
  type TrunkCircuitEvents,
  type TrunkCircuitOptions,
} from './trunk-circuit.js';
export {
  TrunkLimiter,
  type HeldChannel,
  type PaceChange,
  type PaceState,
  type StartChannel,
  type StartGrant,
  type TrunkLimiterEvents,
  type TrunkLimiterOptions,
} from './trunk-limiter.js';
export { DialerWorker, type DialerWorkerOptions } from './dialer-worker.js';
export type { CallObserver, CallObserverStart, ObservedWorker } from './call-observer.js';
export { TrunkRuntime, type TrunkRuntimeOptions } from './trunk-runtime.js';
export { createCallProcessor, SHUTDOWN_REASON, type CallProcessorDeps } from './call-processor.js';
export { AttemptFence, type AttemptFenceOptions } from './attempt-fence.js';
export { FormatMemory } from './format-memory.js';
export { TrunkDialGate, type TrunkDialGateOptions } from './trunk-dial-gate.js';
export type { DialGate, GateVerdict, TrunkFeedback } from './dial-gate.js';
export { RecordingSweeper, type RecordingSweep, type RecordingSweeperOptions } from './recording-sweeper.js';
