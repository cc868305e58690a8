import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from './api-context.js';

export const BULL_BOARD_PATH = '/admin/queues';

/** Bull Board over every trunk's queue, at /admin/queues (behind the token like the rest). */
export async function registerBullBoard(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(BULL_BOARD_PATH);
  createBullBoard({
    queues: ctx.config.trunks.map((trunk) => new BullMQAdapter(ctx.client.queue(trunk.name))),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'sip-dialer' } },
  });
  await app.register(serverAdapter.registerPlugin(), { prefix: BULL_BOARD_PATH });
}
