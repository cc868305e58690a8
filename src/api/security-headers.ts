import type { FastifyInstance } from 'fastify';

/**
 * What the pages we serve need and no more: our own scripts only (Swagger UI and Bull Board load
 * theirs from this server), inline styles (the campaign page's bars and Swagger UI's theme), and
 * Bull Board's Google fonts. No framing, no plugins, no form posts elsewhere.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline' https://fonts.googleapis.com",
  "font-src 'self' data: https://fonts.gstatic.com",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Sets the security headers on every response: API, /docs, the campaign page and Bull Board. */
export function registerSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (_request, reply, payload) => {
    reply
      .header('content-security-policy', CONTENT_SECURITY_POLICY)
      .header('x-frame-options', 'DENY')
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer');
    return payload;
  });
}
