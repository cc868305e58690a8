import type { FastifyInstance } from 'fastify';
import type { ApiContext } from './api-context.js';
import { readTrunkStatus } from './read-trunk-status.js';
import { sendPage } from './send-page.js';
import { renderTrunksPage } from './trunks-page.js';

/** `GET /trunks`: the console's trunks page. */
export function trunksRoutes(ctx: ApiContext) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get(
      '/trunks',
      { schema: { summary: 'Console: every trunk, circuit, pace, channels (HTML)', tags: ['pages'] } },
      async (request, reply) => {
        const trunks = await readTrunkStatus(ctx.client.redis, ctx.client.keys, ctx.config.trunks);
        const principal = request.principal;
        return sendPage(
          reply,
          renderTrunksPage({ trunks, ...(principal && { principal }), now: new Date() }),
        );
      },
    );
  };
}
