import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { CountryCode } from 'libphonenumber-js/max';
import type { CallingWindow } from '../compliance/index.js';
import { importCampaignCsv, type ImportReport } from '../jobs/index.js';
import { CampaignNotFoundError } from '../jobs/index.js';
import type { CampaignSettings } from '../jobs/index.js';
import type { RetryDelays } from '../jobs/index.js';
import {
  RESULT_CONTENT_TYPES,
  isResultFormat,
  readCampaignResults,
  resultLines,
  type ResultFormat,
} from '../results/index.js';
import type { ApiContext } from './api-context.js';
import { ApiRequestError } from './api-request-error.js';
import {
  COUNTRY,
  NAME,
  campaignNameParams,
  campaignStatusSchema,
  errorResponses,
  errorSchema,
  windowSchema,
} from './api-schemas.js';
import { BodyTooLargeError } from './body-too-large-error.js';
import { readCampaignSummary } from './campaign-summary.js';
import { limitBytes } from './limit-bytes.js';
import { numberIndexOfLine, numbersAsCsv } from './numbers-as-csv.js';
import { readPostDialDelaySeries } from './post-dial-delay-series.js';

/** Settings a campaign is created with, from a JSON body or, for a CSV upload, the query string. */
interface CampaignInput {
  readonly name: string;
  readonly trunk?: string;
  readonly callerId?: string;
  readonly defaultCountry?: string;
  readonly window?: CallingWindow;
  readonly timeZone?: string;
  readonly maxAttempts?: number;
  readonly retryDelays?: Partial<RetryDelays>;
  readonly ringTimeoutMs?: number;
  readonly paused?: boolean;
  readonly column?: string;
}

interface JsonCampaignBody extends CampaignInput {
  readonly numbers: readonly string[];
}

interface CsvQuery {
  readonly name?: string;
  readonly trunk?: string;
  readonly callerId?: string;
  readonly country?: string;
  readonly window?: string;
  readonly days?: string;
  readonly timeZone?: string;
  readonly maxAttempts?: number;
  readonly ringTimeoutMs?: number;
  readonly paused?: boolean;
  readonly column?: string;
  readonly delimiter?: 'comma' | 'semicolon' | 'tab';
}

const DELIMITERS = { comma: ',', semicolon: ';', tab: '\t' } as const;
const CSV_TYPES = ['text/csv', 'application/csv'];
/** Lines per chunk written to an export response. */
const EXPORT_CHUNK_CHARS = 64 * 1024;

const settingsProperties = {
  name: NAME,
  trunk: { ...NAME, description: 'default: the first trunk of the config' },
  callerId: { type: 'string', maxLength: 64 },
  defaultCountry: { ...COUNTRY, description: "for numbers without +country code; default: the trunk's" },
  window: windowSchema,
  timeZone: { type: 'string', description: "IANA zone for the window instead of the callee's" },
  maxAttempts: { type: 'integer', minimum: 1, maximum: 20 },
  retryDelays: {
    type: 'object',
    properties: {
      busyMs: { type: 'integer' },
      noAnswerMs: { type: 'integer' },
      carrierErrorMs: { type: 'integer' },
    },
    additionalProperties: false,
  },
  ringTimeoutMs: { type: 'integer' },
  paused: { type: 'boolean', description: 'create it paused (start it with /resume)' },
} as const;

const jsonCampaignBody = {
  type: 'object',
  properties: {
    ...settingsProperties,
    numbers: {
      type: 'array',
      items: { type: 'string' },
      minItems: 1,
      description: 'as people write them; bad ones are reported by index, the others enqueued',
    },
  },
  required: ['name', 'numbers'],
  additionalProperties: false,
} as const;

const csvQuery = {
  type: 'object',
  properties: {
    name: { ...NAME, description: 'campaign name (CSV uploads; JSON bodies carry it in the body)' },
    trunk: NAME,
    callerId: { type: 'string', maxLength: 64 },
    country: COUNTRY,
    window: { type: 'string', pattern: '^\\d{2}:\\d{2}-\\d{2}:\\d{2}$', description: 'HH:MM-HH:MM' },
    days: { type: 'string', pattern: '^[0-6](,[0-6])*$', description: '0 = Sunday, e.g. 1,2,3,4,5' },
    timeZone: { type: 'string' },
    maxAttempts: { type: 'integer', minimum: 1, maximum: 20 },
    ringTimeoutMs: { type: 'integer' },
    paused: { type: 'boolean' },
    column: {
      type: 'string',
      description: 'header of the number column (default: number, phone, msisdn, else the first)',
    },
    delimiter: { type: 'string', enum: ['comma', 'semicolon', 'tab'] },
  },
} as const;

const importResponse = {
  type: 'object',
  additionalProperties: true,
  properties: {
    created: { type: 'boolean' },
    campaign: campaignStatusSchema,
    import: {
      type: 'object',
      additionalProperties: true,
      properties: {
        rows: { type: 'integer' },
        valid: { type: 'integer' },
        invalid: { type: 'integer' },
        duplicates: { type: 'integer' },
        enqueued: { type: 'integer' },
        alreadyQueued: { type: 'integer' },
        errors: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: true,
            properties: {
              line: { type: 'integer' },
              index: { type: 'integer', description: 'JSON uploads: index in numbers' },
              field: { type: 'string' },
              input: { type: 'string' },
              reason: { type: 'string' },
            },
          },
        },
      },
    },
  },
} as const;

/** Campaign routes: create/import, status, figures, control, results export. */
export function campaignsRoutes(ctx: ApiContext) {
  return async (app: FastifyInstance): Promise<void> => {
    // The CSV body reaches the handler as the request stream itself: it is imported as it arrives,
    // never held whole in memory.
    app.addContentTypeParser(CSV_TYPES, (_request, payload, done) => done(null, payload));

    app.post<{ Body: JsonCampaignBody | Readable; Querystring: CsvQuery }>(
      '/v1/campaigns',
      {
        schema: {
          summary: 'Create a campaign and enqueue its numbers',
          description:
            'JSON body `{ name, numbers: [...], ...settings }`, or a CSV upload (`Content-Type: text/csv`, settings in the ' +
            'query string, `name` required) streamed into the import. Bad rows are listed with their line (CSV) or ' +
            'index (JSON) and do not stop the import. 201 when created, 200 when the campaign existed with the same ' +
            'settings (re-importing enqueues only new numbers), 400 for a malformed CSV (unterminated quote, no valid ' +
            'row) with line numbers, 409 when the name is taken with other settings, 413 over api.bodyLimit.',
          tags: ['campaigns'],
          querystring: csvQuery,
          body: {
            content: {
              'application/json': { schema: jsonCampaignBody },
              // No constraint: the body is the request stream itself (see the parser above).
              'text/csv': {
                schema: { description: 'a CSV with a number column; other columns become metadata' },
              },
            },
          },
          response: {
            200: importResponse,
            201: importResponse,
            400: {
              ...errorSchema,
              additionalProperties: true,
              description: 'invalid settings or a malformed CSV',
            },
            401: errorResponses[401],
          },
        },
      },
      async (request, reply) => {
        const body = request.body;
        if (body instanceof Readable)
          return importCsv(ctx, request.query, body, request.headers['content-length'], reply);
        if (typeof body !== 'object' || body === null || !('numbers' in body)) {
          throw new ApiRequestError(
            'body',
            undefined,
            'expected JSON { name, numbers } or a text/csv upload',
          );
        }
        return importJson(ctx, body, reply);
      },
    );

    app.get(
      '/v1/campaigns',
      { schema: { summary: 'Every campaign with its state', tags: ['campaigns'], response: errorResponses } },
      async () => {
        const list = await ctx.store.list();
        return {
          campaigns: list.map((c) => ({
            name: c.name,
            state: c.state,
            trunk: c.settings.trunk,
            createdAt: new Date(c.createdAt).toISOString(),
          })),
        };
      },
    );

    app.get<{ Params: { name: string } }>(
      '/v1/campaigns/:name',
      {
        schema: {
          summary: 'A campaign: state, settings, counts per final status, answer rate',
          tags: ['campaigns'],
          params: campaignNameParams,
          response: {
            200: { ...campaignStatusSchema, additionalProperties: true },
            404: errorSchema,
            ...errorResponses,
          },
        },
      },
      async (request) => readCampaignSummary(ctx.store, request.params.name),
    );

    app.get<{ Params: { name: string } }>(
      '/v1/campaigns/:name/stats',
      {
        schema: {
          summary: 'Summary plus post-dial delay over time (from the newest 50 000 outcomes of the stream)',
          tags: ['campaigns'],
          params: campaignNameParams,
          response: { 404: errorSchema, ...errorResponses },
        },
      },
      async (request) => {
        const summary = await readCampaignSummary(ctx.store, request.params.name);
        const postDialDelay = await readPostDialDelaySeries({
          redis: ctx.client.redis,
          keys: ctx.client.keys,
          campaign: summary.name,
        });
        return { ...summary, postDialDelay };
      },
    );

    for (const action of ['pause', 'resume', 'cancel'] as const) {
      app.post<{ Params: { name: string } }>(
        `/v1/campaigns/:name/${action}`,
        {
          schema: {
            summary:
              action === 'pause'
                ? 'Stop starting calls of the campaign (live calls finish)'
                : action === 'resume'
                  ? 'Start dialing again; parked jobs are released'
                  : 'End the campaign: what is left ends as cancelled',
            tags: ['campaigns'],
            params: campaignNameParams,
            response: {
              200: {
                type: 'object',
                properties: {
                  name: { type: 'string' },
                  state: { type: 'string' },
                  promoted: { type: 'integer', description: 'waiting jobs released' },
                },
              },
              404: errorSchema,
              409: { ...errorSchema, description: 'a cancelled campaign cannot resume' },
              ...errorResponses,
            },
          },
        },
        async (request) => {
          const { name } = request.params;
          const result =
            action === 'pause'
              ? { state: await ctx.control.pause(name), promoted: 0 }
              : await ctx.control[action](name);
          return { name, ...result };
        },
      );
    }

    app.get<{ Params: { name: string }; Querystring: { format?: string; pending?: boolean } }>(
      '/v1/campaigns/:name/outcomes',
      {
        schema: {
          summary: 'Results export: one row per number, streamed',
          description:
            'Final status, attempts and timings of every number (the rows of `dialer campaign results`). JSON lines ' +
            '(`application/jsonl`) or CSV (`text/csv`), chosen by `?format=` or else by `Accept`; JSON lines by default. ' +
            'Numbers without a final outcome yet come as `status: pending` unless `?pending=false`.',
          tags: ['campaigns'],
          params: campaignNameParams,
          querystring: {
            type: 'object',
            properties: {
              format: { type: 'string', enum: ['csv', 'jsonl'] },
              pending: { type: 'boolean', default: true },
            },
          },
          response: { 404: errorSchema, ...errorResponses },
        },
      },
      async (request, reply) => {
        const { name } = request.params;
        const format = chooseFormat(request.query.format, request.headers.accept);
        const record = await ctx.store.get(name);
        if (!record) throw new CampaignNotFoundError(name);
        const rows = readCampaignResults({
          redis: ctx.client.redis,
          keys: ctx.client.keys,
          campaign: name,
          trunk: record.settings.trunk,
          includePending: request.query.pending !== false,
        });
        return reply
          .type(RESULT_CONTENT_TYPES[format])
          .header('content-disposition', `attachment; filename="${name}-results.${format}"`)
          .header('cache-control', 'no-store')
          .send(Readable.from(inChunks(resultLines(rows, format))));
      },
    );
  };
}

async function importCsv(
  ctx: ApiContext,
  query: CsvQuery,
  body: Readable,
  contentLength: string | undefined,
  reply: FastifyReply,
): Promise<FastifyReply> {
  if (query.name === undefined)
    throw new ApiRequestError('name', undefined, 'required in the query string for a CSV upload');
  const limit = ctx.config.api.bodyLimitBytes;
  if (contentLength !== undefined && Number(contentLength) > limit) throw new BodyTooLargeError(limit);
  let window: CallingWindow | undefined;
  if (query.window !== undefined) {
    const [start, end] = query.window.split('-') as [string, string];
    window = { start, end, ...(query.days !== undefined && { days: query.days.split(',').map(Number) }) };
  } else if (query.days !== undefined) {
    throw new ApiRequestError('days', query.days, 'needs window');
  }
  const input: CampaignInput = {
    name: query.name,
    ...(query.trunk !== undefined && { trunk: query.trunk }),
    ...(query.callerId !== undefined && { callerId: query.callerId }),
    ...(query.country !== undefined && { defaultCountry: query.country }),
    ...(window !== undefined && { window }),
    ...(query.timeZone !== undefined && { timeZone: query.timeZone }),
    ...(query.maxAttempts !== undefined && { maxAttempts: query.maxAttempts }),
    ...(query.ringTimeoutMs !== undefined && { ringTimeoutMs: query.ringTimeoutMs }),
    ...(query.paused !== undefined && { paused: query.paused }),
    ...(query.column !== undefined && { column: query.column }),
  };
  // Stopping early (too large, bad settings, Redis gone) must leave the request stream alive:
  // destroying it would take the socket, and the error response with it.
  const limited = limitBytes(body.iterator({ destroyOnReturn: false }), limit);
  const { created, report } = await createAndImport(
    ctx,
    input,
    limited,
    DELIMITERS[query.delimiter ?? 'comma'],
  );
  const unterminated = report.errors.filter((e) => e.reason === 'UNTERMINATED_QUOTE');
  if (unterminated.length > 0 || report.valid === 0) {
    const first = unterminated[0] ?? report.errors[0];
    const reason =
      unterminated.length > 0
        ? `unterminated quote starting on line ${first?.line}`
        : report.rows === 0
          ? 'no data rows'
          : 'no row holds a valid number';
    return reply.code(400).send({
      error: 'CSV_MALFORMED',
      message: `malformed CSV: ${reason}`,
      field: 'body',
      reason,
      ...(first !== undefined && { line: first.line }),
      errors: report.errors,
      import: report,
    });
  }
  return reply
    .code(created.created ? 201 : 200)
    .send({ created: created.created, campaign: created.summary, import: report });
}

async function importJson(
  ctx: ApiContext,
  body: JsonCampaignBody,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const { numbers, ...input } = body;
  const { created, report } = await createAndImport(ctx, input, numbersAsCsv(numbers), ',');
  const errors = report.errors.map((e) => {
    const index = numberIndexOfLine(e.line);
    return { index, field: `numbers[${index}]`, input: e.input, reason: e.reason };
  });
  const shown = { ...report, errors };
  if (report.valid === 0) {
    const first = errors[0];
    return reply.code(400).send({
      error: 'NUMBERS_INVALID',
      message: 'no valid number in numbers',
      field: first?.field ?? 'numbers',
      reason: first?.reason ?? 'no valid number',
      errors,
      import: shown,
    });
  }
  return reply
    .code(created.created ? 201 : 200)
    .send({ created: created.created, campaign: created.summary, import: shown });
}

async function createAndImport(
  ctx: ApiContext,
  input: CampaignInput,
  stream: NodeJS.ReadableStream,
  delimiter: ',' | ';' | '\t',
): Promise<{ created: { created: boolean; summary: unknown }; report: ImportReport }> {
  const trunk = ctx.trunk(input.trunk, 'trunk');
  const country = (input.defaultCountry?.toUpperCase() ?? trunk.defaultCountry) as CountryCode | undefined;
  const settings: CampaignSettings = {
    trunk: trunk.name,
    ...(input.callerId !== undefined && { callerId: input.callerId }),
    ...(country !== undefined && { defaultCountry: country }),
    ...(input.window !== undefined && { window: input.window }),
    ...(input.timeZone !== undefined && { timeZone: input.timeZone }),
    ...(input.maxAttempts !== undefined && { maxAttempts: input.maxAttempts }),
    ...(input.retryDelays !== undefined && { retryDelays: input.retryDelays }),
    ...(input.ringTimeoutMs !== undefined && { ringTimeoutMs: input.ringTimeoutMs }),
  };
  const created = await ctx.store.create(input.name, settings, {
    state: input.paused ? 'paused' : 'running',
  });
  const report = await importCampaignCsv({
    stream,
    campaign: input.name,
    trunk: { name: trunk.name, ...(trunk.defaultCountry && { defaultCountry: trunk.defaultCountry }) },
    ...(country !== undefined && { defaultCountry: country }),
    ...(input.column !== undefined && { column: input.column }),
    delimiter,
    enqueue: async (jobs) => {
      const withCallerId =
        input.callerId !== undefined
          ? jobs.map((j) => ({ ...j, data: { ...j.data, callerId: input.callerId } }))
          : jobs;
      return (await ctx.client.addJobs(trunk.name, withCallerId)).filter(Boolean).length;
    },
    store: ctx.store,
  });
  return {
    created: { created: created.created, summary: await readCampaignSummary(ctx.store, input.name) },
    report,
  };
}

function chooseFormat(format: string | undefined, accept: string | undefined): ResultFormat {
  if (format !== undefined) {
    if (!isResultFormat(format)) throw new ApiRequestError('format', format, 'expected csv or jsonl');
    return format;
  }
  if (accept !== undefined && /\btext\/csv\b|\bapplication\/csv\b/i.test(accept)) {
    const csvAt = accept.search(/text\/csv|application\/csv/i);
    const jsonAt = accept.search(/application\/(x-)?(jsonl|ndjson|jsonlines|json)/i);
    if (jsonAt === -1 || csvAt < jsonAt) return 'csv';
  }
  return 'jsonl';
}

/** Lines joined into chunks of about 64 KB, each line ending in a line break. */
async function* inChunks(lines: AsyncIterable<string>): AsyncGenerator<string> {
  let chunk = '';
  for await (const line of lines) {
    chunk += `${line}\n`;
    if (chunk.length >= EXPORT_CHUNK_CHARS) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk !== '') yield chunk;
}
