import type { FastifyInstance } from 'fastify';
import type { RedisAvailability } from '../redis/index.js';

// Routes that answer without Redis: health has its own answer (/readyz says not-ready), the
// OpenAPI document, Bull Board's static files and the console script are files, /metrics is the
// process's own.
const WITHOUT_REDIS = new Set(['/healthz', '/readyz', '/metrics', '/favicon.ico', '/console/console.js']);
const WITHOUT_REDIS_PREFIXES = ['/docs', '/admin/queues/static'];

/**
 * Before any route that needs Redis runs, waits (bounded) for the connection to be ready, so that
 * with Redis down or refusing the login every such route answers 503 REDIS_UNAVAILABLE within
 * seconds instead of queueing behind ioredis's reconnects or BullMQ's wait for `ready`. Runs after
 * the token check (an unknown caller still gets 401, and learns nothing of Redis). Every 503 gets
 * a Retry-After.
 */
export function registerRedisGate(app: FastifyInstance, availability: RedisAvailability): void {
  app.addHook('preHandler', async (request) => {
    const route = request.routeOptions.url;
    if (route === undefined || WITHOUT_REDIS.has(route)) return;
    if (WITHOUT_REDIS_PREFIXES.some((prefix) => route.startsWith(prefix))) return;
    await availability.ensure();
  });
  // Every 503 (Redis out of reach, whichever route or handler said so): worth a retry soon.
  app.addHook('onSend', async (_request, reply, payload) => {
    if (reply.statusCode === 503 && !reply.hasHeader('retry-after')) reply.header('retry-after', '2');
    return payload;
  });
}
