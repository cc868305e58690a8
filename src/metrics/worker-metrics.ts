import { Queue } from 'bullmq';
import type { RedisConnection } from '../redis/index.js';
import type { Registry } from 'prom-client';
import type { HostAndPort } from '../config/index.js';
import type { DialerKeys } from '../kernel/index.js';
import type { Logger } from '../log/index.js';
import type { SipSecurityStats } from '../sip/index.js';
import type { CallLifecycleEvent } from '../jobs/index.js';
import { registerCallMetrics } from './call-metrics.js';
import { createMetricsRegistry } from './create-metrics-registry.js';
import { MetricsServer } from './metrics-server.js';
import { registerPortMetrics } from './port-metrics.js';
import { registerQueueMetrics } from './queue-metrics.js';
import { registerSipSecurityMetrics } from './sip-security-metrics.js';
import { registerTrunkMetrics, type TrunkSource } from './trunk-metrics.js';

export interface WorkerMetricsOptions {
  readonly redis: RedisConnection;
  readonly keys: DialerKeys;
  readonly trunks: readonly TrunkSource[];
  readonly ports: { readonly free: number; readonly size: number };
  /** Other queues of this process to report (e.g. the callbacks queue). */
  readonly extraQueues?: readonly string[];
  /** The SIP engine, for what it refused from the network. */
  readonly sip?: { readonly securityStats?: SipSecurityStats };
  /** Serve `GET /metrics` here; absent: registry only. */
  readonly listen?: HostAndPort;
  readonly logger: Logger;
}

/** Every metric of one worker process on one registry, and its `/metrics` server when asked for. */
export class WorkerMetrics {
  readonly registry: Registry;
  readonly #observe: (event: CallLifecycleEvent) => void;
  readonly #queues: Queue[];
  readonly #server: MetricsServer | undefined;
  #closing: Promise<void> | undefined;

  private constructor(
    registry: Registry,
    observe: (e: CallLifecycleEvent) => void,
    queues: Queue[],
    server?: MetricsServer,
  ) {
    this.registry = registry;
    this.#observe = observe;
    this.#queues = queues;
    this.#server = server;
  }

  static async start(options: WorkerMetricsOptions): Promise<WorkerMetrics> {
    const registry = createMetricsRegistry();
    const calls = registerCallMetrics(registry);
    // A trunk's queue is under the trunk's hash tag; the extra queues (callbacks) under the prefix.
    const named = [
      ...options.trunks.map((t) => ({
        name: options.keys.queueName(t.name),
        prefix: options.keys.queuePrefix(t.name),
      })),
      ...(options.extraQueues ?? []).map((name) => ({ name, prefix: options.keys.prefix })),
    ];
    // Queue objects on the shared connection only read counts; closing them leaves the connection open.
    const queues = named.map(({ name, prefix }) => {
      const queue = new Queue(name, { connection: options.redis, prefix });
      queue.on('error', () => undefined);
      return queue;
    });
    registerQueueMetrics(registry, { queues: () => queues });
    registerTrunkMetrics(registry, { trunks: () => options.trunks });
    registerPortMetrics(registry, options.ports);
    if (options.sip) registerSipSecurityMetrics(registry, options.sip);
    const server = options.listen
      ? await MetricsServer.start({ registry, listen: options.listen, logger: options.logger })
      : undefined;
    return new WorkerMetrics(registry, (event) => calls.observe(event), queues, server);
  }

  /** The `call` listener of a DialerWorker. */
  readonly observe = (event: CallLifecycleEvent): void => this.#observe(event);

  /** Where `/metrics` is served, when it is. */
  get url(): string | undefined {
    return this.#server?.url;
  }

  /** Stops the server and the queue readers. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#server?.close();
      await Promise.allSettled(this.#queues.map((q) => q.close()));
    })();
    return this.#closing;
  }
}
