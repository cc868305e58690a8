import type { FastifyInstance } from 'fastify';
import type { ApiContext } from './api-context.js';
import { renderCallSearchPage } from './call-search-page.js';
import { renderCallStoryPage } from './call-story-page.js';
import { findCalls } from './find-calls.js';
import { readCallState } from '../jobs/index.js';
import { sendPage } from './send-page.js';

const jobIdParams = {
  type: 'object',
  properties: { id: { type: 'string', pattern: '^[A-Za-z0-9._~+-]{1,200}$' } },
  required: ['id'],
} as const;

/** `GET /calls?q=` (find a call by number or job id) and `GET /calls/:id` (its story), as pages. */
export function callStoryRoutes(ctx: ApiContext) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get<{ Querystring: { q?: string } }>(
      '/calls',
      {
        schema: {
          summary: 'Console: find the calls of a number or a job id (HTML)',
          tags: ['pages'],
          querystring: { type: 'object', properties: { q: { type: 'string', maxLength: 200 } } },
        },
      },
      async (request, reply) => {
        const query = request.query.q ?? '';
        const principal = request.principal;
        if (query.trim() === '')
          return sendPage(reply, renderCallSearchPage({ query, ...(principal && { principal }) }));
        const result = await findCalls(ctx, query);
        if (result.kind === 'job') return reply.redirect(`/calls/${encodeURIComponent(result.jobId)}`, 303);
        return sendPage(reply, renderCallSearchPage({ query, result, ...(principal && { principal }) }));
      },
    );

    app.get<{ Params: { id: string } }>(
      '/calls/:id',
      {
        schema: {
          summary: "Console: a call's story, every attempt (HTML)",
          tags: ['pages'],
          params: jobIdParams,
        },
      },
      async (request, reply) => {
        const call = await readCallState(
          ctx.client,
          ctx.config.trunks.map((t) => t.name),
          request.params.id,
        );
        const principal = request.principal;
        return sendPage(reply, renderCallStoryPage({ call, ...(principal && { principal }) }));
      },
    );
  };
}
