/**
 * JSON Schemas shared by the routes: they validate requests (fastify/Ajv) and make the OpenAPI
 * document at /docs. Domain checks (numbers, names, windows) stay in src/jobs and src/numbers, so
 * these only fix shapes and types.
 */

export const errorSchema = {
  type: 'object',
  description: 'Every error. 400s name the field and the reason.',
  properties: {
    error: {
      type: 'string',
      description: 'stable code, e.g. JOB_INVALID, NUMBER_INVALID, VALIDATION_FAILED',
    },
    message: { type: 'string' },
    field: { type: 'string', description: 'the field at fault (400)' },
    reason: { type: 'string', description: 'why it was refused (400)' },
  },
  required: ['error', 'message'],
} as const;

export const errorResponses = {
  400: { ...errorSchema, description: 'invalid input' },
  401: { ...errorSchema, description: 'no token or a wrong one' },
} as const;

export const NAME = { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' } as const;
export const COUNTRY = { type: 'string', pattern: '^[A-Za-z]{2}$', description: 'ISO 3166 alpha-2' } as const;

export const campaignNameParams = {
  type: 'object',
  properties: { name: NAME },
  required: ['name'],
} as const;

export const windowSchema = {
  type: 'object',
  description: "calling hours in the callee's time zone",
  properties: {
    start: { type: 'string', description: 'HH:MM' },
    end: { type: 'string', description: 'HH:MM' },
    days: { type: 'array', items: { type: 'integer', minimum: 0, maximum: 6 }, description: '0 = Sunday' },
    timeZone: { type: 'string' },
  },
  required: ['start', 'end'],
  additionalProperties: false,
} as const;

export const campaignStatusSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    state: {
      type: 'string',
      enum: ['running', 'paused', 'cancelled', 'completed'],
      description:
        'completed: every number has a final outcome (an import adding numbers makes it running again)',
    },
    completedAt: {
      type: 'string',
      format: 'date-time',
      description: 'when it completed; only while completed',
    },
    trunk: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    settings: { type: 'object', additionalProperties: true },
    total: { type: 'integer' },
    pending: { type: 'integer' },
    done: { type: 'integer' },
    attempts: { type: 'integer' },
    byStatus: { type: 'object', additionalProperties: { type: 'integer' } },
    answerRate: { type: ['number', 'null'], description: 'answered / done' },
    lastImport: {
      type: 'object',
      additionalProperties: true,
      description:
        'how the latest import ended: state importing, committed, refused or aborted (no job of a refused or aborted one is dialled), rows, enqueued, reason, at',
      properties: {
        state: { type: 'string', enum: ['importing', 'committed', 'refused', 'aborted'] },
        importId: { type: 'string' },
        rows: { type: 'integer' },
        enqueued: { type: 'integer' },
        reason: { type: 'string' },
        at: { type: 'string', format: 'date-time' },
      },
    },
  },
} as const;
