import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { CountryCode } from 'libphonenumber-js/max';
import type { CallingWindow } from '../compliance/index.js';
import { createCampaignAndImport, type CampaignImportResult, type ImportReport } from '../jobs/index.js';
import type { CampaignSettings } from '../jobs/index.js';
import type { AmdSetting, CallScript, RetryDelays } from '../jobs/index.js';
import { isResultFormat, type ResultFormat } from '../results/index.js';
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
import { uploadBody } from './upload-body.js';
import { numberIndexOfLine, numbersAsCsv } from './numbers-as-csv.js';
import { readPostDialDelaySeries } from './post-dial-delay-series.js';
import { sendCampaignExport } from './send-campaign-export.js';

/** Settings a campaign is created with, from a JSON body or, for a CSV upload, the query string. */
interface CampaignInput {
  readonly name: string;
  readonly trunk?: string;
  readonly callerId?: string;
  readonly callerIds?: readonly string[];
  readonly callerIdDailyCap?: number;
  readonly callerIdWithheld?: boolean;
  readonly defaultCountry?: string;
  readonly window?: CallingWindow;
  readonly timeZone?: string;
  readonly maxAttempts?: number;
  readonly retryDelays?: Partial<RetryDelays>;
  readonly ringTimeoutMs?: number;
  readonly amd?: AmdSetting;
  readonly script?: CallScript;
  readonly paused?: boolean;
  readonly column?: string;
}

interface JsonCampaignBody extends CampaignInput {
  readonly numbers: readonly string[];
}

export interface CsvQuery {
  readonly name?: string;
  readonly trunk?: string;
  readonly callerId?: string;
  readonly country?: string;
  readonly window?: string;
  readonly days?: string;
  readonly timeZone?: string;
  readonly maxAttempts?: number;
  readonly ringTimeoutMs?: number;
  /** `true`, `false`, or the timings as JSON. */
  readonly amd?: string;
  /** The script as JSON. */
  readonly script?: string;
  readonly paused?: boolean;
  readonly column?: string;
  readonly delimiter?: 'comma' | 'semicolon' | 'tab';
}

const DELIMITERS = { comma: ',', semicolon: ';', tab: '\t' } as const;
const CSV_TYPES = ['text/csv', 'application/csv'];

const settingsProperties = {
  name: NAME,
  trunk: { ...NAME, description: 'default: the first trunk of the config' },
  callerId: { type: 'string', maxLength: 64 },
  callerIds: {
    type: 'array',
    items: { type: 'string', maxLength: 64 },
    description: 'caller IDs (E.164) picked by the callee area (local presence)',
  },
  callerIdDailyCap: { type: 'integer', description: 'calls per pool caller ID per UTC day, fleet-wide' },
  callerIdWithheld: { type: 'boolean', description: 'anonymous From and Privacy: id' },
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
      machineMs: { type: 'integer' },
    },
    additionalProperties: false,
  },
  ringTimeoutMs: { type: 'integer' },
  // The shapes are checked by the campaign settings' own rules, which name the field at fault.
  amd: {
    type: ['boolean', 'object'],
    description: 'answering-machine detection: true, false, or analyzer timings ({ greetingMs: 1500, … })',
  },
  script: {
    type: 'object',
    description:
      'what answered calls do: { play, repeat, collect, hangupAfterMs, onMachine, onUnknown, record }',
  },
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

export const csvQuery = {
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
    amd: { type: 'string', description: 'true, false, or the analyzer timings as JSON' },
    script: { type: 'string', description: 'the call script as JSON' },
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
        const format = chooseFormat(request.query.format, request.headers.accept);
        return sendCampaignExport(ctx, reply, {
          name: request.params.name,
          format,
          includePending: request.query.pending !== false,
        });
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
  const result = await runCsvImport(ctx, query, body, contentLength);
  const { report } = result;
  if (result.lastImport.state === 'refused') {
    const first = report.errors.find((e) => e.reason === 'UNTERMINATED_QUOTE') ?? report.errors[0];
    const reason = result.lastImport.reason ?? 'refused';
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
    .code(result.created ? 201 : 200)
    .send({ created: result.created, campaign: await summary(ctx, query.name ?? ''), import: report });
}

/**
 * A CSV upload with its settings in the query string, imported as it streams in (within
 * api.bodyLimit) and refused whole when malformed: the API's upload and the console's.
 */
export async function runCsvImport(
  ctx: ApiContext,
  query: CsvQuery,
  body: Readable,
  contentLength: string | undefined,
): Promise<CampaignImportResult> {
  if (query.name === undefined)
    throw new ApiRequestError('name', undefined, 'required in the query string for a CSV upload');
  const limit = ctx.config.api.bodyLimitBytes;
  // A declared length over the limit is refused before a byte is read, and recorded like any other.
  const tooLarge = contentLength !== undefined && Number(contentLength) > limit;
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
    ...(query.amd !== undefined && { amd: jsonParameter('amd', query.amd) as AmdSetting }),
    ...(query.script !== undefined && { script: jsonParameter('script', query.script) as CallScript }),
    ...(query.paused !== undefined && { paused: query.paused }),
    ...(query.column !== undefined && { column: query.column }),
  };
  const stream = tooLarge ? tooLargeBody(limit) : uploadBody(body, limit);
  // A malformed file is refused whole: no row of it is dialled.
  const refuse = (report: ImportReport): string | undefined => {
    const unterminated = report.errors.find((e) => e.reason === 'UNTERMINATED_QUOTE');
    if (unterminated !== undefined) return `unterminated quote starting on line ${unterminated.line}`;
    if (report.valid === 0) return report.rows === 0 ? 'no data rows' : 'no row holds a valid number';
    return undefined;
  };
  return createAndImport(ctx, input, stream, DELIMITERS[query.delimiter ?? 'comma'], refuse);
}

async function importJson(
  ctx: ApiContext,
  body: JsonCampaignBody,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const { numbers, ...input } = body;
  const result = await createAndImport(ctx, input, numbersAsCsv(numbers), ',');
  const { report } = result;
  const errors = report.errors.map((e) => {
    const index = numberIndexOfLine(e.line);
    return { index, field: `numbers[${index}]`, input: e.input, reason: e.reason };
  });
  const shown = { ...report, errors };
  if (result.lastImport.state === 'refused') {
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
    .code(result.created ? 201 : 200)
    .send({ created: result.created, campaign: await summary(ctx, input.name), import: shown });
}

/** The edge's part: settings from the request; the import itself is the jobs use case. */
async function createAndImport(
  ctx: ApiContext,
  input: CampaignInput,
  stream: NodeJS.ReadableStream,
  delimiter: ',' | ';' | '\t',
  refuse?: (report: ImportReport) => string | undefined,
): Promise<CampaignImportResult> {
  const trunk = ctx.trunk(input.trunk, 'trunk');
  const country = (input.defaultCountry?.toUpperCase() ?? trunk.defaultCountry) as CountryCode | undefined;
  const settings: CampaignSettings = {
    trunk: trunk.name,
    ...(input.callerId !== undefined && { callerId: input.callerId }),
    ...(input.callerIds !== undefined && { callerIds: input.callerIds }),
    ...(input.callerIdDailyCap !== undefined && { callerIdDailyCap: input.callerIdDailyCap }),
    ...(input.callerIdWithheld !== undefined && { callerIdWithheld: input.callerIdWithheld }),
    ...(country !== undefined && { defaultCountry: country }),
    ...(input.window !== undefined && { window: input.window }),
    ...(input.timeZone !== undefined && { timeZone: input.timeZone }),
    ...(input.maxAttempts !== undefined && { maxAttempts: input.maxAttempts }),
    ...(input.retryDelays !== undefined && { retryDelays: input.retryDelays }),
    ...(input.ringTimeoutMs !== undefined && { ringTimeoutMs: input.ringTimeoutMs }),
    ...(input.amd !== undefined && { amd: input.amd }),
    ...(input.script !== undefined && { script: input.script }),
  };
  return createCampaignAndImport(
    { client: ctx.client, store: ctx.store },
    {
      name: input.name,
      settings,
      ...(trunk.defaultCountry !== undefined && { trunkCountry: trunk.defaultCountry as CountryCode }),
      state: input.paused ? 'paused' : 'running',
      stream,
      ...(input.column !== undefined && { column: input.column }),
      delimiter,
      ...(refuse !== undefined && { refuse }),
    },
  );
}

/** A query parameter holding JSON (`amd=true`, `script={"onMachine":"leaveMessage"}`). */
function jsonParameter(field: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ApiRequestError(field, text, 'expected JSON (true, false or an object)');
  }
}

function summary(ctx: ApiContext, name: string): Promise<unknown> {
  return readCampaignSummary(ctx.store, name);
}

/** A body refused by its declared length: the import fails on its first read, as past the limit. */
function tooLargeBody(limit: number): Readable {
  return new Readable({
    read() {
      this.destroy(new BodyTooLargeError(limit));
    },
  });
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
