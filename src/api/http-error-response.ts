import { DialerError } from '../kernel/index.js';

/** The JSON body of every error the API answers with. */
export interface ApiErrorBody {
  /** Stable code: a DialerError code, or `VALIDATION_FAILED`, `BODY_TOO_LARGE`, `INTERNAL`… */
  readonly error: string;
  readonly message: string;
  /** The field at fault (`number`, `window.start`, `numbers[3]`), for 400s. */
  readonly field?: string;
  /** Why that field was refused. */
  readonly reason?: string;
}

const NOT_FOUND = new Set(['CAMPAIGN_NOT_FOUND', 'CALL_NOT_FOUND']);
const CONFLICT = new Set(['CAMPAIGN_CONFLICT', 'CAMPAIGN_STATE_INVALID', 'IMPORT_IN_PROGRESS']);

interface FastifyLikeError {
  readonly name?: string;
  readonly code?: string;
  readonly statusCode?: number;
  readonly message: string;
  readonly validation?: ReadonlyArray<{
    readonly instancePath?: string;
    readonly message?: string;
    readonly params?: Readonly<Record<string, unknown>>;
  }>;
  readonly validationContext?: string;
}

/**
 * What an error becomes on the wire. Our own input errors (they all carry `field`) are 400 with the
 * field and the reason; a token whose role falls short, or a console form without its CSRF token, 403;
 * unknown campaigns and calls 404; state conflicts 409; oversized bodies 413; too many failed logins 429;
 * Redis out of reach 503; anything else 500 with no detail (it is logged instead).
 */
export function httpErrorResponse(error: unknown): { status: number; body: ApiErrorBody } {
  if (error instanceof DialerError) {
    // The API's own stable code for it (the CLI and DialerClient say REDIS_UNREACHABLE). Its
    // message names where Redis is (host, port, ACL user): the operator's log has it, an API
    // client, a viewer token included, does not.
    if (error.code === 'REDIS_UNREACHABLE')
      return {
        status: 503,
        body: { error: 'REDIS_UNAVAILABLE', message: "Redis is not available; the server's log says why" },
      };
    if (error.code === 'BODY_TOO_LARGE')
      return { status: 413, body: { error: error.code, message: error.message } };
    if (NOT_FOUND.has(error.code))
      return { status: 404, body: { error: error.code, message: error.message } };
    if (error.code === 'FORBIDDEN' || error.code === 'CSRF_REJECTED')
      return { status: 403, body: { error: error.code, message: error.message } };
    if (error.code === 'TOO_MANY_FAILED_LOGINS' || error.code === 'TOO_MANY_WAITERS')
      return { status: 429, body: { error: error.code, message: error.message } };
    if (CONFLICT.has(error.code)) return { status: 409, body: { error: error.code, message: error.message } };
    const field = (error as { field?: unknown }).field;
    if (typeof field === 'string') {
      return {
        status: 400,
        body: { error: error.code, message: error.message, field, reason: reasonOf(error, field) },
      };
    }
    if (error.code === 'CONFIG_INVALID') return internal();
    return { status: 400, body: { error: error.code, message: error.message } };
  }
  const e = error as FastifyLikeError;
  if (e?.validation !== undefined && e.validation.length > 0) {
    const first = e.validation[0];
    const params = first?.params ?? {};
    const path = (first?.instancePath ?? '').split('/').filter(Boolean);
    for (const key of ['missingProperty', 'additionalProperty']) {
      if (typeof params[key] === 'string') path.push(params[key]);
    }
    const field = path.length > 0 ? path.join('.') : (e.validationContext ?? 'body');
    const reason =
      typeof params['additionalProperty'] === 'string' ? 'unknown field' : (first?.message ?? 'invalid');
    return {
      status: 400,
      body: { error: 'VALIDATION_FAILED', message: `${field}: ${reason}`, field, reason },
    };
  }
  if (e?.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return { status: 413, body: { error: 'BODY_TOO_LARGE', message: e.message } };
  }
  if (
    e?.name === 'MaxRetriesPerRequestError' ||
    /Connection is closed|ECONNREFUSED|^(WRONGPASS|NOAUTH|NOPERM)\b/.test(e?.message ?? '')
  ) {
    return { status: 503, body: { error: 'REDIS_UNAVAILABLE', message: 'Redis does not answer' } };
  }
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return {
      status: e.statusCode,
      body: { error: e.code ?? 'BAD_REQUEST', message: e.message },
    };
  }
  return internal();
}

function internal(): { status: number; body: ApiErrorBody } {
  return { status: 500, body: { error: 'INTERNAL', message: 'internal error (logged)' } };
}

/**
 * The reason part of our errors' `<field> <value as JSON>: <reason>` messages, or the `reason`
 * property where the class keeps one (InvalidNumberError: `TOO_SHORT`…).
 */
function reasonOf(error: DialerError, field: string): string {
  const own = (error as { reason?: unknown }).reason;
  if (typeof own === 'string') return own;
  const match = /^\S+ (?:"(?:[^"\\]|\\.)*"|\S+): ([\s\S]*)$/.exec(error.message);
  if (match?.[1] !== undefined && error.message.startsWith(field)) return match[1];
  return error.message;
}
