import type { FastifyReply } from 'fastify';

/** Sends a console page: HTML, never cached (the figures are live and the page is per session). */
export function sendPage(reply: FastifyReply, html: string, status = 200): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(html);
}
