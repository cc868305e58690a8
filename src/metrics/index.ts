export { createMetricsRegistry, type CreateMetricsRegistryOptions } from './create-metrics-registry.js';
export { CallMetrics, registerCallMetrics } from './call-metrics.js';
export { deferralCause, type DeferralCause } from './deferral-cause.js';
export { MetricsListenError } from './metrics-listen-error.js';
export { MetricsServer, type MetricsServerOptions } from './metrics-server.js';
export { registerPortMetrics } from './port-metrics.js';
export {
  QUEUE_STATES,
  registerQueueMetrics,
  type QueueMetricsOptions,
  type QueueSource,
} from './queue-metrics.js';
export {
  CIRCUIT_STATES,
  REGISTRATION_STATES,
  registerTrunkMetrics,
  type TrunkMetricsOptions,
  type TrunkSource,
} from './trunk-metrics.js';
export { WorkerMetrics, type WorkerMetricsOptions } from './worker-metrics.js';
