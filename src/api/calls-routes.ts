import type { FastifyInstance } from 'fastify';
import { tryParseDuration } from '../config/index.js';
import type { EnqueueCallInput } from '../jobs/index.js';
import { OutcomeTimeoutError } from '../jobs/index.js';
import type { ApiContext } from './api-context.js';
import { ApiRequestError } from './api-request-error.js';
import { COUNTRY, NAME, errorResponses, errorSchema } from './api-schemas.js';
import { readCallState, type CallState } from '../jobs/index.js';

/** Longest `?wait=` a request may hold the connection for. */
const MAX_WAIT_MS = 60_000;

const callBody = {
  type: 'object',
  properties: {
    number: {
      type: 'string',
      description: 'as a person writes it: "+55 34 98414-9880", or national with defaultCountry',
    },
    trunk: { ...NAME, description: 'default: the only trunk' },
    campaign: NAME,
    defaultCountry: COUNTRY,
    callerId: { type: 'string', maxLength: 64 },
    callerIdWithheld: { type: 'boolean', description: 'anonymous From and Privacy: id' },
    ringTimeoutMs: { type: 'integer' },
    maxCallLengthMs: { type: 'integer' },
    maxAttempts: { type: 'integer' },
    headers: { type: 'object', additionalProperties: { type: 'string' } },
    script: {
      type: 'object',
      description: 'play / collect / hangupAfterMs / onMachine / onUnknown',
      additionalProperties: true,
    },
    // Checked by the job's one amd rule (jobs/amd-setting.ts), which names the bad option.
    amd: {
      type: ['boolean', 'object'],
      description: 'answering-machine detection: true, or analyzer timings',
    },
    metadata: { type: 'object', additionalProperties: true, description: 'returned in the outcome' },
    idempotencyKey: {
      type: 'string',
      description: 'same key, same job (also read from the Idempotency-Key header)',
    },
  },
  required: ['number'],
  additionalProperties: false,
} as const;

const jobIdParams = {
  type: 'object',
  properties: { id: { type: 'string', pattern: '^[A-Za-z0-9._~+-]{1,200}$' } },
  required: ['id'],
} as const;

/** `POST /v1/calls`, `GET /v1/calls/:id`. */
export function callsRoutes(ctx: ApiContext) {
  return async (app: FastifyInstance): Promise<void> => {
    app.post<{ Body: EnqueueCallInput; Headers: { 'idempotency-key'?: string } }>(
      '/v1/calls',
      {
        schema: {
          summary: 'Enqueue one call',
          description:
            'Validates and enqueues; a worker places the call. 202 with the job id; poll GET /v1/calls/{id}.',
          tags: ['calls'],
          body: callBody,
          response: {
            202: {
              type: 'object',
              properties: {
                jobId: { type: 'string' },
                number: { type: 'string', description: 'E.164' },
                trunk: { type: 'string' },
                duplicate: { type: 'boolean', description: 'this job id was already queued' },
              },
            },
            ...errorResponses,
          },
        },
      },
      async (request, reply) => {
        const key = request.headers['idempotency-key'];
        const input: EnqueueCallInput =
          key !== undefined && request.body.idempotencyKey === undefined
            ? { ...request.body, idempotencyKey: key }
            : request.body;
        const call = await ctx.client.enqueueCall(input);
        return reply
          .code(202)
          .header('location', `/v1/calls/${encodeURIComponent(call.jobId)}`)
          .send(call);
      },
    );

    app.get<{ Params: { id: string }; Querystring: { wait?: string } }>(
      '/v1/calls/:id',
      {
        schema: {
          summary: 'A call: its final outcome, or where it is in the queue',
          tags: ['calls'],
          params: jobIdParams,
          querystring: {
            type: 'object',
            properties: {
              wait: {
                type: 'string',
                description: 'hold the request up to this long (e.g. 30s, at most 60s) for the outcome',
              },
            },
          },
          response: {
            404: { ...errorSchema, description: 'no such job or outcome' },
            ...errorResponses,
          },
        },
      },
      async (request) => {
        const { id } = request.params;
        const waitMs = parseWait(request.query.wait);
        const state = await readCallState(
          ctx.client,
          ctx.config.trunks.map((t) => t.name),
          id,
        );
        if (state.state === 'completed' || waitMs === 0) return state;
        const abort = new AbortController();
        const onClose = (): void => abort.abort(new Error('client went away'));
        request.raw.once('close', onClose);
        try {
          const outcome = await ctx.waiters.wait(id, {
            timeoutMs: waitMs,
            signal: AbortSignal.any([abort.signal, ctx.closing]),
          });
          return { jobId: id, state: 'completed', outcome } satisfies CallState;
        } catch (error) {
          if (error instanceof OutcomeTimeoutError || abort.signal.aborted || ctx.closing.aborted) {
            return readCallState(
              ctx.client,
              ctx.config.trunks.map((t) => t.name),
              id,
            );
          }
          throw error;
        } finally {
          request.raw.off('close', onClose);
        }
      },
    );
  };
}

function parseWait(wait: string | undefined): number {
  if (wait === undefined) return 0;
  const ms = tryParseDuration(/^\d+$/.test(wait) ? `${wait}s` : wait);
  if (ms === undefined || ms > MAX_WAIT_MS) {
    throw new ApiRequestError('wait', wait, `expected a duration up to ${MAX_WAIT_MS / 1000}s, e.g. 30s`);
  }
  return ms;
}
