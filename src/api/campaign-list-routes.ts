import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiContext } from './api-context.js';
import { renderCampaignListPage, type CampaignListRow } from './campaign-list-page.js';
import { readCampaignRates } from './campaign-rates.js';
import { readCampaignSummary } from './campaign-summary.js';
import { sendPage } from './send-page.js';

/** `GET /` and `GET /campaigns`: the console's front page, every campaign in one table. */
export function campaignListRoutes(ctx: ApiContext) {
  return async (app: FastifyInstance): Promise<void> => {
    const handler = async (request: FastifyRequest, reply: FastifyReply) => {
      const records = await ctx.store.list();
      const rates = await readCampaignRates({ redis: ctx.client.redis, keys: ctx.client.keys });
      const rows: CampaignListRow[] = [];
      for (const record of records) {
        const summary = await readCampaignSummary(ctx.store, record.name);
        const rate = rates.get(record.name);
        rows.push({ summary, ...(rate !== undefined && { rate }) });
      }
      // Newest first: the campaign an operator just started is the one they look for.
      rows.sort((a, b) => Date.parse(b.summary.createdAt) - Date.parse(a.summary.createdAt));
      return sendPage(
        reply,
        renderCampaignListPage({
          rows,
          ...(request.principal !== undefined && { principal: request.principal }),
          now: new Date(),
        }),
      );
    };
    const schema = { summary: 'Console: every campaign (HTML)', tags: ['pages'] };
    app.get('/', { schema }, handler);
    app.get('/campaigns', { schema }, handler);
  };
}
