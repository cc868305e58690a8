import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiContext } from './api-context.js';
import { csrfTokenMatches } from './browser-session.js';
import {
  CAMPAIGN_CREATE_PATH,
  renderCampaignCreatePage,
  renderImportResult,
} from './campaign-create-page.js';
import { ApiRequestError } from './api-request-error.js';
import { csvQuery, runCsvImport, type CsvQuery } from './campaigns-routes.js';
import { renderConsoleLayout } from './console-layout.js';
import { CsrfRejectedError } from './csrf-rejected-error.js';
import { MultipartFormReader } from './multipart-form-reader.js';
import { readUploadForm } from './read-upload-form.js';
import { sendPage } from './send-page.js';
import { uploadBody } from './upload-body.js';

/** The header the console script sends the session's CSRF token in: the body is the CSV itself. */
export const CSRF_HEADER = 'x-csrf-token';

const CSV_TYPES = ['text/csv', 'application/csv'];
const MULTIPART = 'multipart/form-data';

function isMultipart(request: FastifyRequest): boolean {
  return (request.headers['content-type'] ?? '').trim().toLowerCase().startsWith(MULTIPART);
}

/**
 * `GET /new-campaign`: the form; `POST /new-campaign`: its upload (operator role by the role
 * check), streamed into the API's own CSV import within api.bodyLimit (413 naming the limit past
 * it), answered with the import's result as HTML. Two ways in: the console script sends the file
 * as a text/csv body with the session's CSRF token in `x-csrf-token`; a browser without script
 * posts the form as multipart/form-data, its first part the `csrf` field (readUploadForm).
 */
export function campaignCreateRoutes(ctx: ApiContext) {
  return async (app: FastifyInstance): Promise<void> => {
    // As the API's upload: the request stream itself goes to the import, never held whole.
    app.addContentTypeParser(CSV_TYPES, (_request, payload, done) => done(null, payload));
    app.addContentTypeParser(MULTIPART, (_request, payload, done) => done(null, payload));

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
            "Console: the form's CSV upload (text/csv body with settings in the query, or the form as multipart/form-data, csrf first); the result as HTML",
          tags: ['pages'],
          querystring: csvQuery,
        },
        // Before a byte of the CSV is read: a forged upload imports nothing. A form's token is
        // its body's first part, checked as it is read.
        preHandler: async (request) => {
          if (!isMultipart(request)) checkCsrfHeader(request);
        },
      },
      async (request, reply) => {
        const body = request.body;
        if (!(body instanceof Readable)) {
          return reply.code(415).send({
            error: 'UNSUPPORTED_MEDIA_TYPE',
            message:
              'expected the CSV as a text/csv body (the console script sends it so) or the form as multipart/form-data',
          });
        }
        const length = request.headers['content-length'];
        if (!isMultipart(request)) {
          const result = await runCsvImport(ctx, request.query, body, length);
          const status = result.lastImport.state === 'refused' ? 400 : result.created ? 201 : 200;
          return sendPage(reply, renderImportResult(request.query.name ?? '', result), status);
        }
        const contentType = request.headers['content-type'];
        const boundary = MultipartFormReader.boundaryOf(contentType);
        if (boundary === undefined)
          throw new ApiRequestError('content-type', contentType, 'multipart/form-data needs a boundary');
        // The whole form counts against api.bodyLimit, as the file alone does for text/csv.
        const form = await readUploadForm(
          uploadBody(body, ctx.config.api.bodyLimitBytes),
          boundary,
          request.csrfToken,
        );
        const result = await runCsvImport(ctx, form.query, form.file, length);
        const status = result.lastImport.state === 'refused' ? 400 : result.created ? 201 : 200;
        // No script put this in the form's page: it is a page of its own.
        return sendPage(
          reply,
          renderConsoleLayout({
            title: 'New campaign',
            section: 'campaigns',
            ...(request.principal !== undefined && { principal: request.principal }),
            body: `<h1>New campaign</h1>\n${renderImportResult(form.query.name ?? '', result)}\n<p><a href="${CAMPAIGN_CREATE_PATH}">Another upload</a></p>`,
          }),
          status,
        );
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
