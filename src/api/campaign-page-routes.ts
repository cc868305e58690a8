import type { FastifyInstance } from 'fastify';
import type { ApiContext } from './api-context.js';
import { campaignNameParams } from './api-schemas.js';
import { renderCampaignPage } from './campaign-page.js';
import { readCampaignSummary } from './campaign-summary.js';
import { readPostDialDelaySeries } from './post-dial-delay-series.js';

// No script, inline CSS only: the page needs nothing else.
const PAGE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** `GET /campaigns/:name`: the campaign page (HTML), reloading itself every `?refresh=` seconds (default 5, 0 = never). */
export function campaignPageRoutes(ctx: ApiContext) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get<{ Params: { name: string }; Querystring: { refresh?: number } }>(
      '/campaigns/:name',
      {
        schema: {
          summary:
            'Campaign page (HTML): progress, outcomes per status, answer rate, post-dial delay over time',
          description:
            'For browsers: open it once with ?token=<token>; a session cookie is set and the token dropped from the URL.',
          tags: ['pages'],
          params: campaignNameParams,
          querystring: {
            type: 'object',
            properties: { refresh: { type: 'integer', minimum: 0, maximum: 3600, default: 5 } },
          },
        },
      },
      async (request, reply) => {
        const summary = await readCampaignSummary(ctx.store, request.params.name);
        const postDialDelay = await readPostDialDelaySeries({
          redis: ctx.client.redis,
          keys: ctx.client.keys,
          campaign: summary.name,
        });
        const html = renderCampaignPage({
          summary,
          postDialDelay,
          refreshSeconds: request.query.refresh ?? 5,
          now: new Date(),
        });
        return reply
          .type('text/html; charset=utf-8')
          .header('content-security-policy', PAGE_CSP)
          .header('cache-control', 'no-store')
          .send(html);
      },
    );
  };
}
