import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { errorHandler as boardErrorHandler } from '@bull-board/api/dist/handlers/error.js';
import type { FastifyInstance } from 'fastify';
import type { RedisAvailability } from '../redis/index.js';
import type { ApiContext } from './api-context.js';
import { httpErrorResponse } from './http-error-response.js';
import { redisFault } from './redis-fault.js';

export const BULL_BOARD_PATH = '/admin/queues';

/** Bull Board over every trunk's queue, at /admin/queues (behind the token; writes for admins only). */
export async function registerBullBoard(
  app: FastifyInstance,
  ctx: ApiContext,
  availability: RedisAvailability,
): Promise<void> {
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(BULL_BOARD_PATH);
  // The UI is one page for every role, so it can only hide the write buttons when no token may
  // use them; the real control is the role check refusing non-GET requests under this path.
  const readOnlyMode = !ctx.config.api.tokens.some((t) => t.role === 'admin');
  createBullBoard({
    queues: ctx.config.trunks.map(
      (trunk) => new BullMQAdapter(ctx.client.queue(trunk.name), { readOnlyMode }),
    ),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'sip-dialer' } },
  });
  // The board answers its own errors (500 for all); Redis out of reach is 503 REDIS_UNAVAILABLE
  // here as on every other route, so a monitor tells "Redis is down" from "the board broke".
  serverAdapter.setErrorHandler((error) => {
    const { body } = httpErrorResponse(redisFault(error, availability));
    // The board's type lists only the statuses it answers itself; its Fastify adapter sends any.
    if (body.error === 'REDIS_UNAVAILABLE')
      return { status: 503, body } as unknown as ReturnType<typeof boardErrorHandler>;
    return boardErrorHandler(error);
  });
  await app.register(serverAdapter.registerPlugin(), { prefix: BULL_BOARD_PATH });
}
