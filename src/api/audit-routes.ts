import type { FastifyInstance } from 'fastify';
import type { RedisConnection } from '../redis/index.js';
import type { AuditEntry } from './audit-entry.js';
import { AUDIT_PATH } from './required-role.js';

const DEFAULT_COUNT = 100;
const MAX_COUNT = 10_000;

/** `GET /audit?count=N`: the newest audit entries, newest first (admins only, see required-role). */
export function auditRoutes(redis: RedisConnection, stream: string) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get<{ Querystring: { count: number } }>(
      AUDIT_PATH,
      {
        schema: {
          summary: 'Newest audit entries: who changed what (admin tokens only)',
          tags: ['audit'],
          querystring: {
            type: 'object',
            properties: {
              count: { type: 'integer', minimum: 1, maximum: MAX_COUNT, default: DEFAULT_COUNT },
            },
            additionalProperties: false,
          },
        },
      },
      async (request) => {
        const rows = await redis.xrevrange(stream, '+', '-', 'COUNT', request.query.count);
        const entries = rows.map(([id, fields]) => ({ id, ...parseEntry(fields) }));
        return { entries };
      },
    );
  };
}

function parseEntry(fields: string[]): Partial<AuditEntry> {
  const i = fields.indexOf('entry');
  if (i === -1 || i + 1 >= fields.length) return {};
  try {
    return JSON.parse(fields[i + 1] ?? '{}') as AuditEntry;
  } catch {
    return {};
  }
}
