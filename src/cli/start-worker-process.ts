import { StatusCallbacks } from '../callbacks/index.js';
import type { DialerConfig } from '../config/index.js';
import { WorkerMetrics } from '../metrics/index.js';
import { DialerWorker, type CallObserverStart, type DialerWorkerOptions } from '../workers/index.js';

/** A worker process as `dialer worker` runs it: the worker and what observes its calls. */
export interface WorkerProcess {
  readonly worker: DialerWorker;
  /** This process's metrics registry; present when config has a `metrics` section. */
  readonly metrics: WorkerMetrics | undefined;
}

/**
 * The composition root of a worker process: a DialerWorker observed by status callbacks and
 * metrics as its config asks. The worker closes them when it closes.
 */
export async function startWorkerProcess(
  options: Omit<DialerWorkerOptions, 'observers'>,
): Promise<WorkerProcess> {
  let metrics: WorkerMetrics | undefined;
  const observers = observersOf(options.config, (started) => (metrics = started));
  const worker = await DialerWorker.start({ ...options, observers });
  return { worker, metrics };
}

// Both only listen to call events: the call path never waits on a scrape or a webhook.
function observersOf(config: DialerConfig, onMetrics: (metrics: WorkerMetrics) => void): CallObserverStart[] {
  const observers: CallObserverStart[] = [];
  const { callbacks, metrics } = config;
  if (callbacks) {
    observers.push(({ redis, keys, campaign, logger }) => {
      const started = StatusCallbacks.start({
        config: callbacks,
        redis,
        prefix: keys.prefix,
        queueKey: (trunk) => keys.queueKey(trunk),
        campaignUrl: async (name) => (await campaign(name))?.settings.callbackUrl,
        completionsKey: keys.campaignCompletions,
        logger,
      });
      return { name: 'status callbacks', observe: started.publish, close: () => started.close() };
    });
  }
  if (metrics) {
    observers.push(async ({ redis, keys, trunks, ports, engine, logger }) => {
      const started = await WorkerMetrics.start({
        redis,
        keys,
        trunks,
        ports,
        sip: engine,
        ...(callbacks ? { extraQueues: [StatusCallbacks.queueName] } : {}),
        ...(metrics.listen ? { listen: metrics.listen } : {}),
        logger,
      });
      onMetrics(started);
      return { name: 'metrics', observe: started.observe, close: () => started.close() };
    });
  }
  return observers;
}
