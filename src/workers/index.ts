export { CircuitSubscriber, type CircuitSubscriberEvents } from './circuit-subscriber.js';
export {
  parseCircuitControlMessage,
  type CircuitControlMessage,
  type CircuitOpenKind,
} from './circuit-control-message.js';
export { InvalidTrunkOptionError } from './invalid-trunk-option-error.js';
export { TrunkClosedError } from './trunk-closed-error.js';
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
  type StartGrant,
  type TrunkLimiterEvents,
  type TrunkLimiterOptions,
} from './trunk-limiter.js';
