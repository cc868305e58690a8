import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from './api-context.js';

export const BULL_BOARD_PATH = '/admin/queues';

/** Bull Board over every trunk's queue, at /admin/queues (behind the token; writes for admins only). */
export async function registerBullBoard(app: FastifyInstance, ctx: ApiContext): Promise<void> {
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
  await app.register(serverAdapter.registerPlugin(), { prefix: BULL_BOARD_PATH });
}
