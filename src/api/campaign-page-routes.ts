import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CampaignNotFoundError, CampaignStateError } from '../jobs/index.js';
import type { ApiContext } from './api-context.js';
import { campaignNameParams } from './api-schemas.js';
import { csrfTokenMatches } from './browser-session.js';
import { readCampaignAmdCounts, type CampaignAmdCounts } from './campaign-amd-counts.js';
import { readCampaignBacklog } from './campaign-backlog.js';
import { renderCancelConfirmPage } from './cancel-confirm-page.js';
import type { CampaignFigures } from './campaign-live-view.js';
import { campaignLiveView } from './campaign-live-view.js';
import { renderCampaignPage } from './campaign-page.js';
import { readCampaignRates, type CampaignRate } from './campaign-rates.js';
import { readCampaignSummary } from './campaign-summary.js';
import { renderConsoleErrorPage } from './console-error-page.js';
import { CsrfRejectedError } from './csrf-rejected-error.js';
import { httpErrorResponse } from './http-error-response.js';
import { readPostDialDelaySeries } from './post-dial-delay-series.js';
import { RecentReads } from './recent-reads.js';
import { sendCampaignExport } from './send-campaign-export.js';
import { sendPage } from './send-page.js';

const FORM_TYPE = 'application/x-www-form-urlencoded';
/**
 * How long the stream-scanning figures (AMD counts over the newest 50 000 outcomes, the last
 * minute's rates) are shared between polls: a live page asks every 2 s, and a scan of a big
 * campaign's outcomes costs far more than the summary (bench/console-live.ts).
 */
const SCAN_REUSE_MS = 10_000;
/** A control form carries one short field; anything bigger is not ours. */
const FORM_BODY_LIMIT = 4096;

/**
 * The campaign page and what hangs off it, all under the browser session:
 * - `GET /campaigns/:name`: the page; `GET /campaigns/:name/live.json`: its moving figures;
 * - `GET /campaigns/:name/outcomes.csv|.jsonl`: the results export (the `/v1` route takes only a
 *   Bearer header, which a link cannot send);
 * - `GET /campaigns/:name/cancel`: asks to confirm; `POST /campaigns/:name/pause|resume|cancel`:
 *   the controls, operator role (the role check), the session's CSRF token in field `csrf`, then
 *   back to the page (303). The audit hook records each POST like the API's.
 */
export function campaignPageRoutes(ctx: ApiContext) {
  return async (app: FastifyInstance): Promise<void> => {
    const scans: Scans = {
      amd: new RecentReads<CampaignAmdCounts>(SCAN_REUSE_MS),
      rates: new RecentReads<Map<string, CampaignRate>>(SCAN_REUSE_MS, 1),
    };
    app.addContentTypeParser(FORM_TYPE, { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT }, (_r, body, done) =>
      done(null, Object.fromEntries(new URLSearchParams(body as string))),
    );
    const params = { params: campaignNameParams, tags: ['pages'] };

    app.get<{ Params: { name: string } }>(
      '/campaigns/:name',
      {
        schema: {
          ...params,
          summary:
            'Campaign page (HTML): progress, pace, pending parts, outcomes per status and AMD result, post-dial delay; pause/resume/cancel for operators',
          description:
            'For browsers: open it once with ?token=<token>; a session cookie is set and the token dropped from the URL.',
        },
      },
      async (request, reply) => {
        const figures = await readFigures(ctx, scans, request.params.name);
        const postDialDelay = await readPostDialDelaySeries({
          redis: ctx.client.redis,
          keys: ctx.client.keys,
          campaign: figures.summary.name,
        });
        return sendPage(
          reply,
          renderCampaignPage({
            figures,
            postDialDelay,
            ...(request.principal !== undefined && { principal: request.principal }),
            ...(request.csrfToken !== undefined && { csrfToken: request.csrfToken }),
            now: new Date(),
          }),
        );
      },
    );

    app.get<{ Params: { name: string } }>(
      '/campaigns/:name/live.json',
      { schema: { ...params, summary: "The campaign page's moving figures, by element (JSON)" } },
      async (request, reply) => {
        const view = campaignLiveView(await readFigures(ctx, scans, request.params.name));
        return reply.header('cache-control', 'no-store').send(view);
      },
    );

    for (const format of ['csv', 'jsonl'] as const) {
      app.get<{ Params: { name: string } }>(
        `/campaigns/:name/outcomes.${format}`,
        { schema: { ...params, summary: `Results export as ${format}, for the page's download link` } },
        async (request, reply) =>
          sendCampaignExport(ctx, reply, { name: request.params.name, format, includePending: true }),
      );
    }

    app.get<{ Params: { name: string } }>(
      '/campaigns/:name/cancel',
      { schema: { ...params, summary: 'Asks to confirm cancelling the campaign (HTML)' } },
      async (request, reply) => {
        const summary = await readCampaignSummary(ctx.store, request.params.name);
        return sendPage(
          reply,
          renderCancelConfirmPage({
            summary,
            ...(request.principal !== undefined && { principal: request.principal }),
            ...(request.csrfToken !== undefined && { csrfToken: request.csrfToken }),
          }),
        );
      },
    );

    for (const action of ['pause', 'resume', 'cancel'] as const) {
      app.post<{ Params: { name: string }; Body: Record<string, string> | undefined }>(
        `/campaigns/:name/${action}`,
        {
          schema: { ...params, summary: `Console form: ${action} the campaign, then back to its page` },
          preHandler: async (request) => checkCsrf(request),
        },
        async (request, reply) => {
          const { name } = request.params;
          try {
            if (action === 'pause') await ctx.control.pause(name);
            else await ctx.control[action](name);
          } catch (error) {
            // A stale page's button (resume a campaign cancelled meanwhile): a page, not JSON.
            if (!(error instanceof CampaignStateError || error instanceof CampaignNotFoundError)) throw error;
            const { status, body } = httpErrorResponse(error);
            const page = renderConsoleErrorPage({
              status,
              code: body.error,
              message: body.message,
              back:
                error instanceof CampaignStateError
                  ? { href: `/campaigns/${encodeURIComponent(name)}`, label: `Back to ${name}` }
                  : { href: '/campaigns', label: 'All campaigns' },
              section: 'campaigns',
              ...(request.principal !== undefined && { principal: request.principal }),
            });
            return sendPage(reply, page, status);
          }
          return backToPage(reply, name);
        },
      );
    }
  };
}

interface Scans {
  readonly amd: RecentReads<CampaignAmdCounts>;
  readonly rates: RecentReads<Map<string, CampaignRate>>;
}

async function readFigures(ctx: ApiContext, scans: Scans, name: string): Promise<CampaignFigures> {
  const summary = await readCampaignSummary(ctx.store, name);
  const { redis, keys } = ctx.client;
  const [backlog, amd, rates] = await Promise.all([
    readCampaignBacklog({ redis, keys, campaign: name, trunk: summary.trunk, pending: summary.pending }),
    scans.amd.get(name, () => readCampaignAmdCounts({ redis, keys, campaign: name })),
    scans.rates.get('all', () => readCampaignRates({ redis, keys })),
  ]);
  const rate = rates.get(name);
  return { summary, backlog, amd, ...(rate !== undefined && { rate }) };
}

/**
 * A form posted with the browser session must carry that session's CSRF token: the cookie alone
 * proves only that a browser holds it, not that our page sent the form. A Bearer header cannot be
 * sent by another site's page, so it needs none.
 */
function checkCsrf(request: FastifyRequest): void {
  const expected = request.csrfToken;
  if (expected === undefined) return;
  const body = request.body as Record<string, unknown> | undefined;
  const given = typeof body?.['csrf'] === 'string' ? body['csrf'] : undefined;
  if (!csrfTokenMatches(given, expected)) {
    throw new CsrfRejectedError(
      request.method,
      request.routeOptions.url ?? 'the form',
      given === undefined ? 'missing' : 'wrong',
    );
  }
}

function backToPage(reply: FastifyReply, name: string): FastifyReply {
  return reply.redirect(`/campaigns/${encodeURIComponent(name)}`, 303);
}
