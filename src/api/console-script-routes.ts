import type { FastifyInstance } from 'fastify';
import { CONSOLE_SCRIPT, CONSOLE_SCRIPT_PATH } from './console-script.js';

/**
 * `GET /console/console.js`: the console's one script (local times, live figures); and
 * `GET /favicon.ico`, answered 204 without a token so browsers stop asking.
 */
export function consoleScriptRoutes() {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/favicon.ico', { schema: { hide: true } }, async (_request, reply) =>
      reply.code(204).header('cache-control', 'max-age=86400').send(),
    );
    app.get(CONSOLE_SCRIPT_PATH, { schema: { hide: true } }, async (_request, reply) =>
      reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(CONSOLE_SCRIPT),
    );
  };
}
