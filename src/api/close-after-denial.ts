import type { FastifyInstance } from 'fastify';

/**
 * After a 401, the connection is closed: a client without a token gets no keep-alive and no
 * time to trickle the rest of a body it has no right to send.
 */
export function registerCloseAfterDenial(app: FastifyInstance): void {
  app.addHook('onSend', async (_request, reply, payload) => {
    if (reply.statusCode === 401) reply.header('connection', 'close');
    return payload;
  });
}
