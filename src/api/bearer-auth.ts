import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiTokenConfig } from '../config/index.js';
import type { ApiPrincipal } from './api-principal.js';

/** The cookie a browser gets after presenting the token once (`?token=`). */
export const AUTH_COOKIE = 'dialer_session';

/** Paths that answer without a token: process and Redis health, for load balancers and probes. */
const PUBLIC_PATHS = new Set(['/healthz', '/readyz']);

/** Pages a person opens in a browser, where a cookie or a one-time `?token=` is accepted too. */
const BROWSER_PREFIXES = ['/docs', '/admin/queues', '/campaigns'];

const COOKIE_MAX_AGE_S = 12 * 3600;

/**
 * Whether `given` is the token, in time that does not depend on where they differ: both sides are
 * hashed first so `timingSafeEqual` compares equal-length digests and the length of the token
 * does not leak either.
 */
export function tokenMatches(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/**
 * The cookie value: derived from the token, not the token itself, so a cookie read off a browser
 * profile cannot be replayed as a Bearer token against the API.
 */
export function browserSessionValue(token: string): string {
  return createHmac('sha256', token).update('sip-dialer browser session v1').digest('base64url');
}

export function isBrowserPath(path: string): boolean {
  return BROWSER_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`));
}

/** The request path without the query. */
export function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/**
 * Requires a token on every request but `/healthz` and `/readyz`, and sets `request.principal`:
 * - `Authorization: Bearer <token>` everywhere;
 * - on browser pages (`/docs`, `/admin/queues`, `/campaigns`) also the session cookie, which a
 *   `GET …?token=<token>` sets (HttpOnly, SameSite=Strict) before redirecting to the same URL
 *   without the token, so it leaves the address bar and the history at once.
 * No token or a wrong one: 401 with `WWW-Authenticate: Bearer`.
 */
export function registerBearerAuth(app: FastifyInstance, tokens: readonly ApiTokenConfig[]): void {
  const known = tokens.map((t) => ({
    token: t.token,
    session: browserSessionValue(t.token),
    principal: { name: t.name, role: t.role } satisfies ApiPrincipal,
  }));
  // Every token is compared, matched or not, so the time taken does not tell which one matched.
  const byToken = (given: string | undefined) => {
    let found: ApiPrincipal | undefined;
    for (const k of known) if (tokenMatches(given, k.token)) found ??= k.principal;
    return found;
  };
  const bySession = (given: string | undefined) => {
    let found: ApiPrincipal | undefined;
    for (const k of known) if (tokenMatches(given, k.session)) found ??= k.principal;
    return found;
  };
  app.decorateRequest('principal', undefined);
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const path = pathOf(request.url);
    if (PUBLIC_PATHS.has(path)) return;
    const header = request.headers.authorization;
    if (header !== undefined) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      const principal = match ? byToken(match[1]) : undefined;
      if (principal !== undefined) {
        request.principal = principal;
        return;
      }
      return deny(reply, match ? 'wrong token' : 'expected Authorization: Bearer <token>');
    }
    if (isBrowserPath(path)) {
      const cookie = readCookie(request.headers.cookie, AUTH_COOKIE);
      const principal = cookie === undefined ? undefined : bySession(cookie);
      if (principal !== undefined) {
        request.principal = principal;
        return;
      }
      const query = new URLSearchParams(request.url.slice(path.length + 1));
      const offered = query.get('token');
      if (offered !== null && (request.method === 'GET' || request.method === 'HEAD')) {
        if (byToken(offered) === undefined) return deny(reply, 'wrong token');
        query.delete('token');
        const rest = query.toString();
        const secure = request.protocol === 'https' ? '; Secure' : '';
        return reply
          .header(
            'set-cookie',
            `${AUTH_COOKIE}=${browserSessionValue(offered)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${COOKIE_MAX_AGE_S}${secure}`,
          )
          .header('cache-control', 'no-store')
          .redirect(rest === '' ? path : `${path}?${rest}`, 303);
      }
    }
    return deny(reply, 'missing token: send Authorization: Bearer <token>');
  });
}

function deny(reply: FastifyReply, reason: string): FastifyReply {
  return reply
    .code(401)
    .header('www-authenticate', 'Bearer realm="sip-dialer"')
    .send({ error: 'UNAUTHORIZED', message: reason });
}

function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
