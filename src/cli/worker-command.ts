import { Command } from 'commander';
import { createLogger } from '../log/index.js';
import type { CliIo } from './cli-io.js';
import { loadCliConfig } from './load-cli-config.js';

/**
 * Past the grace period, the drain's own bounds end it in a few seconds; this is the last resort
 * should something unbounded still hold it.
 */
const DRAIN_OVERRUN_MS = 5000;

/** `dialer worker`: runs until SIGTERM/SIGINT, then drains within `shutdown.grace`. */
export function workerCommand(io: CliIo): Command {
  return new Command('worker')
    .description('run a dialer worker: registers the trunks, takes dial jobs from Redis, places the calls')
    .option('-c, --config <file>', 'config file (default: $DIALER_CONFIG)')
    .addHelpText(
      'after',
      '\nExample:\n  CARRIER_PASSWORD=… dialer worker --config dialer.yaml\n\nSIGTERM or SIGINT drains: no new jobs, live calls get shutdown.grace to end, then the rest are\nhung up and their jobs requeued; a second signal exits at once.\n',
    )
    .action(async (options: { config?: string }) => {
      // Not the API's tokens: a worker host that shares the file need not hold them.
      const config = await loadCliConfig(options.config, io.env, ['trunks', 'engine', 'callbacks']);
      const logger = createLogger({ level: io.env['LOG_LEVEL'] ?? config.log.level, name: 'dialer-worker' });
      // Loaded here, not at the top: the engines, media and BullMQ worker are most of a start's
      // CPU, and `dialer call` or `dialer campaign status` should not pay for them.
      const { startWorkerProcess } = await import('./start-worker-process.js');
      const { worker } = await startWorkerProcess({ config, logger });
      await new Promise<void>((resolve) => {
        let signalled = false;
        const onSignal = (signal: NodeJS.Signals): void => {
          if (signalled) {
            logger.warn({ signal }, 'second signal: exiting now');
            process.exit(1);
          }
          signalled = true;
          logger.info({ signal }, 'shutting down');
          setTimeout(() => {
            logger.error(
              { overrunMs: DRAIN_OVERRUN_MS },
              'shutdown still not done past the grace period: exiting now',
            );
            process.exit(1);
          }, config.shutdown.graceMs + DRAIN_OVERRUN_MS).unref();
          void worker.close().then(resolve, (error: unknown) => {
            logger.error({ err: error }, 'shutdown failed');
            resolve();
          });
        };
        process.on('SIGTERM', onSignal);
        process.on('SIGINT', onSignal);
      });
      if (worker.abandonedJobs.length > 0) {
        const { ShutdownIncompleteError } = await import('../workers/index.js');
        throw new ShutdownIncompleteError(worker.abandonedJobs);
      }
    });
}
