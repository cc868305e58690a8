import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RedisConnection } from '../redis/index.js';
import type { Logger } from '../log/index.js';
import type { AuditEntry } from './audit-entry.js';
import { pathOf } from './bearer-auth.js';
import { redactUrl } from './redact-url.js';

/** Enough history to answer "who did this last month" without the stream growing without bound. */
export const AUDIT_STREAM_MAX_LEN = 100_000;

/** Route parameters that name what a request acts on, most specific first. */
const TARGET_PARAMS = ['jobId', 'id', 'number', 'schedulerId', 'name', 'queueName'] as const;

export interface AuditLogOptions {
  readonly redis: RedisConnection;
  /** Stream key (`DialerKeys.audit`). */
  readonly stream: string;
  readonly logger: Logger;
}

/**
 * Records every state-changing request (any method but GET/HEAD), allowed or refused, to the log
 * (`audit: true`) and to a capped Redis stream. A Redis failure is logged, not thrown: the response
 * has gone already, and the log line still holds the entry.
 */
export function registerAuditLog(app: FastifyInstance, options: AuditLogOptions): void {
  app.addHook('onResponse', async (request, reply) => {
    if (request.method === 'GET' || request.method === 'HEAD') return;
    const entry = auditEntry(request, reply.statusCode);
    options.logger.info({ audit: true, ...entry }, 'audit');
    try {
      await options.redis.xadd(
        options.stream,
        'MAXLEN',
        '~',
        AUDIT_STREAM_MAX_LEN,
        '*',
        'entry',
        JSON.stringify(entry),
      );
    } catch (error) {
      options.logger.warn({ err: error, stream: options.stream }, 'audit entry not written to redis');
    }
  });
}

function auditEntry(request: FastifyRequest, status: number): AuditEntry {
  const principal = request.principal;
  const target = targetOf(request.params);
  return {
    at: new Date().toISOString(),
    ...(principal !== undefined && { who: principal.name, role: principal.role }),
    method: request.method,
    // The pattern, not the URL, so a `?token=` can never reach the entry.
    route: request.routeOptions.url ?? pathOf(redactUrl(request.url)),
    ...(target !== undefined && { target }),
    status,
    ip: request.ip,
  };
}

function targetOf(params: unknown): string | undefined {
  if (typeof params !== 'object' || params === null) return undefined;
  const record = params as Record<string, unknown>;
  for (const key of TARGET_PARAMS) {
    const value = record[key];
    if (typeof value === 'string' && value !== '') return value.slice(0, 200);
  }
  return undefined;
}
