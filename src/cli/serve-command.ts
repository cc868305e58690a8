import { Command } from 'commander';
import { createLogger } from '../log/index.js';
import type { CliIo } from './cli-io.js';
import { loadCliConfig } from './load-cli-config.js';
import { parseListen } from './parse-listen.js';

/** `dialer serve`: the HTTP API until SIGTERM/SIGINT, then a clean close. */
export function serveCommand(io: CliIo): Command {
  return new Command('serve')
    .description(
      'run the HTTP API: calls, campaigns, DNC, results export, OpenAPI at /docs, Bull Board at /admin/queues',
    )
    .option('-c, --config <file>', 'config file (default: $DIALER_CONFIG); needs api.token')
    .option('--listen <host:port>', 'address to listen on (default: api.listen, 127.0.0.1:8080)')
    .addHelpText(
      'after',
      '\nExample:\n  API_TOKEN=$(openssl rand -hex 32) dialer serve --config dialer.yaml\n' +
        '  curl -H "Authorization: Bearer $API_TOKEN" http://127.0.0.1:8080/v1/campaigns\n\n' +
        'SIGTERM or SIGINT stops taking requests, lets those in flight finish, and exits 0.\n',
    )
    .action(async (options: { config?: string; listen?: string }) => {
      // The API's tokens only: it places no calls and signs no callbacks.
      const config = await loadCliConfig(options.config, io.env, ['api']);
      const listen = options.listen !== undefined ? parseListen(options.listen) : undefined;
      const logger = createLogger({
        level: io.env['LOG_LEVEL'] ?? config.log.level,
        name: 'dialer-api',
        ...(io.logDestination && { destination: io.logDestination }),
      });
      // Loaded on use: fastify, Bull Board and the OpenAPI pages are not for the other commands.
      const { createApiServer } = await import('../api/index.js');
      const server = await createApiServer({ config, logger, ...(listen && { listen }) });
      let url: string;
      try {
        url = await server.listen();
      } catch (error) {
        await server.close();
        throw error;
      }
      logger.info({ url, docs: `${url}/docs` }, 'dialer api listening');
      await new Promise<void>((resolve) => {
        const onSignal = (signal: NodeJS.Signals): void => {
          process.off('SIGTERM', onSignal);
          process.off('SIGINT', onSignal);
          logger.info({ signal }, 'shutting down');
          void server.close().then(resolve, (error: unknown) => {
            logger.error({ err: error }, 'shutdown failed');
            resolve();
          });
        };
        process.on('SIGTERM', onSignal);
        process.on('SIGINT', onSignal);
      });
      logger.info('dialer api stopped');
    });
}
