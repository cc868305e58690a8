import type { FastifyInstance } from 'fastify';
import type { RedisConnection } from '../redis/index.js';

const READY_TIMEOUT_MS = 1000;

/** `/healthz`: the process answers. `/readyz`: and Redis answers PING within a second. No token. */
export function healthRoutes(redis: RedisConnection) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get(
      '/healthz',
      { schema: { summary: 'The process is up (no token needed)', tags: ['health'], security: [] } },
      async () => ({ status: 'ok' }),
    );
    app.get(
      '/readyz',
      {
        schema: {
          summary: 'Redis answers (no token needed); 503 when it does not',
          tags: ['health'],
          security: [],
        },
      },
      async (_request, reply) => {
        const reason = await redisProblem(redis);
        if (reason === undefined) return { status: 'ready' };
        return reply.code(503).send({ status: 'unavailable', reason });
      },
    );
  };
}

async function redisProblem(redis: RedisConnection): Promise<string | undefined> {
  // A connection given up for good will not answer; any other state gets the PING and its timeout.
  if (redis.status === 'end' || redis.status === 'close') return `redis connection is ${redis.status}`;
  let timer: NodeJS.Timeout | undefined;
  try {
    const reply = await Promise.race([
      redis.ping(),
      new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), READY_TIMEOUT_MS);
      }),
    ]);
    return reply === 'PONG' ? undefined : `redis PING: ${reply}`;
  } catch (error) {
    return `redis PING: ${(error as Error).message}`;
  } finally {
    clearTimeout(timer);
  }
}
