import { collectDefaultMetrics, Registry } from 'prom-client';

export interface CreateMetricsRegistryOptions {
  /** Node process metrics (CPU, memory, event loop lag, handles…) under their usual names. Default: true. */
  readonly defaultMetrics?: boolean;
  /** Labels added to every series, e.g. `{ service: 'dialer-api' }`. */
  readonly labels?: Readonly<Record<string, string>>;
}

/**
 * A fresh prom-client Registry, never the global one: a test, a worker and an API in one process
 * each keep their own series. Register the dialer's metrics on it with `registerCallMetrics`,
 * `registerQueueMetrics`, `registerTrunkMetrics` and `registerPortMetrics`, then serve
 * `registry.metrics()` with `registry.contentType`.
 */
export function createMetricsRegistry(options: CreateMetricsRegistryOptions = {}): Registry {
  const registry = new Registry();
  if (options.labels !== undefined) registry.setDefaultLabels({ ...options.labels });
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  return registry;
}
