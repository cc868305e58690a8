import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiContext } from './api-context.js';
import { csrfTokenMatches } from './browser-session.js';
import {
  CAMPAIGN_CREATE_PATH,
  renderCampaignCreatePage,
  renderImportResult,
} from './campaign-create-page.js';
import { csvQuery, runCsvImport, type CsvQuery } from './campaigns-routes.js';
import { CsrfRejectedError } from './csrf-rejected-error.js';
import { sendPage } from './send-page.js';

/** The header the console script sends the session's CSRF token in: the body is the CSV itself. */
export const CSRF_HEADER = 'x-csrf-token';

const CSV_TYPES = ['text/csv', 'application/csv'];

/**
 * `GET /new-campaign`: the form; `POST /new-campaign`: its upload (operator role by the role
 * check, the session's CSRF token in `x-csrf-token`), streamed into the API's own CSV import
 * within api.bodyLimit (413 naming the limit past it), answered with the import's result as HTML.
 */
export function campaignCreateRoutes(ctx: ApiContext) {
  return async (app: FastifyInstance): Promise<void> => {
    // As the API's upload: the request stream itself goes to the import, never held whole.
    app.addContentTypeParser(CSV_TYPES, (_request, payload, done) => done(null, payload));

    app.get(
      CAMPAIGN_CREATE_PATH,
      { schema: { summary: 'Console: create a campaign from a CSV upload (HTML form)', tags: ['pages'] } },
      async (request, reply) =>
        sendPage(
          reply,
          renderCampaignCreatePage({
            trunks: ctx.config.trunks,
            limitBytes: ctx.config.api.bodyLimitBytes,
            ...(request.principal !== undefined && { principal: request.principal }),
            ...(request.csrfToken !== undefined && { csrfToken: request.csrfToken }),
          }),
        ),
    );

    app.post<{ Body: Readable; Querystring: CsvQuery }>(
      CAMPAIGN_CREATE_PATH,
      {
        schema: {
          summary:
            "Console: the form's CSV upload (text/csv body, settings in the query); the result as HTML",
          tags: ['pages'],
          querystring: csvQuery,
        },
        // Before a byte of the CSV is read: a forged upload imports nothing.
        preHandler: async (request) => checkCsrfHeader(request),
      },
      async (request, reply) => {
        const body = request.body;
        if (!(body instanceof Readable)) {
          return reply.code(415).send({
            error: 'UNSUPPORTED_MEDIA_TYPE',
            message: 'expected the CSV as a text/csv body (the console page sends it so)',
          });
        }
        const result = await runCsvImport(ctx, request.query, body, request.headers['content-length']);
        const status = result.lastImport.state === 'refused' ? 400 : result.created ? 201 : 200;
        return sendPage(reply, renderImportResult(request.query.name ?? '', result), status);
      },
    );
  };
}

function checkCsrfHeader(request: FastifyRequest): void {
  const expected = request.csrfToken;
  // A Bearer header cannot be sent by another site's page, so it needs none.
  if (expected === undefined) return;
  const header = request.headers[CSRF_HEADER];
  const given = typeof header === 'string' ? header : undefined;
  if (!csrfTokenMatches(given, expected)) {
    throw new CsrfRejectedError(
      request.method,
      CAMPAIGN_CREATE_PATH,
      given === undefined ? 'missing' : 'wrong',
    );
  }
}
