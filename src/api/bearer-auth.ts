import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiTokenConfig } from '../config/index.js';
import type { ApiPrincipal } from './api-principal.js';
import { browserSessionValue, checkBrowserSession, csrfTokenFor } from './browser-session.js';

/** The cookie a browser gets after presenting the token once (`?token=`). */
export const AUTH_COOKIE = 'dialer_session';

/**
 * Paths that answer without a token: process and Redis health, for load balancers and probes, and
 * the icon every browser asks for unbidden (refused, each ask would count as a failed login).
 */
const PUBLIC_PATHS = new Set(['/healthz', '/readyz', '/favicon.ico']);

/** Pages a person opens in a browser, where a cookie or a one-time `?token=` is accepted too. */
const BROWSER_PREFIXES = [
  '/docs',
  '/admin/queues',
  '/campaigns',
  '/new-campaign',
  '/calls',
  '/trunks',
  '/console',
];

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

export function isBrowserPath(path: string): boolean {
  // `/` is the console's front page; only itself, or every path would count as a page.
  return path === '/' || BROWSER_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`));
}

/** The request path without the query. */
export function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/**
 * Requires a token on every request but `/healthz` and `/readyz`, and sets `request.principal`:
 * - `Authorization: Bearer <token>` everywhere;
 * - on browser pages (`/`, `/campaigns`, `/new-campaign`, `/calls`, `/trunks`, `/console`, `/docs`,
 *   `/admin/queues`)
 *   also the session cookie, which a
 *   `GET …?token=<token>` sets (HttpOnly, SameSite=Strict, Max-Age `sessionTtlMs`, Secure when
 *   the request came over HTTPS, directly or from a trusted proxy) before redirecting to the same
 *   URL without the token, so it leaves the address bar and the history at once. The cookie
 *   carries its own expiry under an HMAC (see `browserSessionValue`): past it, or tampered with,
 *   it is refused like a wrong token, and cleared.
 * No token or a wrong one: 401 with `WWW-Authenticate: Bearer`.
 */
export function registerBearerAuth(
  app: FastifyInstance,
  tokens: readonly ApiTokenConfig[],
  options: { readonly sessionTtlMs: number },
): void {
  const { sessionTtlMs } = options;
  // Every token is compared, matched or not, so the time taken does not tell which one matched.
  const byToken = (given: string | undefined) => {
    let found: ApiTokenConfig | undefined;
    for (const t of tokens) if (tokenMatches(given, t.token)) found ??= t;
    return found;
  };
  app.decorateRequest('principal', undefined);
  app.decorateRequest('csrfToken', undefined);
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const path = pathOf(request.url);
    if (PUBLIC_PATHS.has(path)) return;
    const header = request.headers.authorization;
    if (header !== undefined) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      const token = match ? byToken(match[1]) : undefined;
      if (token !== undefined) {
        request.principal = principalOf(token);
        return;
      }
      return deny(reply, match ? 'wrong token' : 'expected Authorization: Bearer <token>');
    }
    if (isBrowserPath(path)) {
      const cookie = readCookie(request.headers.cookie, AUTH_COOKIE);
      const session =
        cookie === undefined ? undefined : checkBrowserSession(cookie, tokens, Date.now(), sessionTtlMs);
      if (session?.ok === true) {
        request.principal = principalOf(session.token);
        // A session exists only when the cookie does.
        request.csrfToken = csrfTokenFor(session.token, cookie ?? '');
        return;
      }
      // Request-protocol decides Secure: behind a TLS-terminating proxy that is X-Forwarded-Proto,
      // believed only from a hop `api.trustProxy` names.
      const secure = request.protocol === 'https' ? '; Secure' : '';
      const query = new URLSearchParams(request.url.slice(path.length + 1));
      const offered = query.get('token');
      if (offered !== null && (request.method === 'GET' || request.method === 'HEAD')) {
        const token = byToken(offered);
        if (token === undefined) return deny(reply, 'wrong token');
        query.delete('token');
        const rest = query.toString();
        const value = browserSessionValue(token, Date.now(), sessionTtlMs);
        const maxAge = Math.max(1, Math.floor(sessionTtlMs / 1000));
        return reply
          .header(
            'set-cookie',
            `${AUTH_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${secure}`,
          )
          .header('cache-control', 'no-store')
          .redirect(rest === '' ? path : `${path}?${rest}`, 303);
      }
      if (session !== undefined) {
        // Cleared so the browser stops offering it: each further offer would count as a failed login.
        reply.header('set-cookie', `${AUTH_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure}`);
        return deny(
          reply,
          session.reason === 'expired'
            ? 'session expired: open the page again with ?token=<token>'
            : 'invalid session cookie: open the page again with ?token=<token>',
        );
      }
    }
    return deny(reply, 'missing token: send Authorization: Bearer <token>');
  });
}

/** Who the token is, without the token. */
function principalOf(token: ApiTokenConfig): ApiPrincipal {
  return { name: token.name, role: token.role };
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
