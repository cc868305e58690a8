import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiTokenConfig } from '../config/index.js';

// `<issued>.<expires>.<nonce>.<mac>`: Unix seconds, 16 random bytes and HMAC-SHA256, both in
// base64url (22 and 43 characters). The nonce makes two sessions opened by one token in the same
// second two sessions: without it they had one cookie value, so one CSRF token.
const SESSION_VALUE = /^(\d{1,12})\.(\d{1,12})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;
const NONCE_BYTES = 16;

// Another API server's clock may run a little ahead of this one's; a cookie it issued is not forged.
const CLOCK_SKEW_S = 60;

/** What a cookie value turned out to be. */
export type BrowserSessionCheck =
  | { readonly ok: true; readonly token: ApiTokenConfig }
  | { readonly ok: false; readonly reason: 'invalid' | 'expired' };

/**
 * The session cookie value for `token`, good from `issuedAtMs` for `ttlMs`. The MAC is keyed by
 * the token, its name and its role, so the value cannot be replayed as a Bearer token, its
 * expiry cannot be moved by the client, and changing or removing the token in the config (or
 * its role) ends every session it opened.
 */
export function browserSessionValue(token: ApiTokenConfig, issuedAtMs: number, ttlMs: number): string {
  const issued = Math.floor(issuedAtMs / 1000);
  const expires = issued + Math.max(1, Math.floor(ttlMs / 1000));
  const nonce = randomBytes(NONCE_BYTES).toString('base64url');
  return `${issued}.${expires}.${nonce}.${sessionMac(token, issued, expires, nonce).toString('base64url')}`;
}

/**
 * Which token opened the session `value`, if it is authentic and still current at `nowMs`. A
 * session longer than `ttlMs` (issued before the TTL was shortened) counts as expired. Every
 * token's MAC is computed and compared, matched or not, so the time taken does not tell which.
 */
export function checkBrowserSession(
  value: string,
  tokens: readonly ApiTokenConfig[],
  nowMs: number,
  ttlMs: number,
): BrowserSessionCheck {
  const match = SESSION_VALUE.exec(value);
  if (match === null) return { ok: false, reason: 'invalid' };
  const issued = Number(match[1]);
  const expires = Number(match[2]);
  const nonce = match[3]!;
  const given = Buffer.from(match[4]!, 'base64url');
  let found: ApiTokenConfig | undefined;
  for (const token of tokens) {
    const expected = sessionMac(token, issued, expires, nonce);
    if (given.length === expected.length && timingSafeEqual(given, expected)) found ??= token;
  }
  if (found === undefined) return { ok: false, reason: 'invalid' };
  const now = nowMs / 1000;
  const ttl = Math.max(1, Math.floor(ttlMs / 1000));
  if (issued > now + CLOCK_SKEW_S || expires <= now || expires - issued > ttl) {
    return { ok: false, reason: 'expired' };
  }
  return { ok: true, token: found };
}

function sessionMac(token: ApiTokenConfig, issued: number, expires: number, nonce: string): Buffer {
  // The key, not the message, carries the token's identity: a MAC made for one token says nothing
  // about another's, and the token itself never appears in the value.
  const key = createHmac('sha256', token.token)
    .update(`sip-dialer browser session v3\0${token.name}\0${token.role}`)
    .digest();
  return createHmac('sha256', key).update(`${issued}.${expires}.${nonce}`).digest();
}

/**
 * The CSRF token of the session `sessionValue` opened by `token`: an HMAC keyed like the session
 * itself, over the cookie value. Each session has its own, any API server can check it without
 * shared state, and a page from another site cannot know it (it cannot read the HttpOnly cookie,
 * and the MAC needs the API token).
 */
export function csrfTokenFor(token: ApiTokenConfig, sessionValue: string): string {
  const key = createHmac('sha256', token.token)
    .update(`sip-dialer csrf v1\0${token.name}\0${token.role}`)
    .digest();
  return createHmac('sha256', key).update(sessionValue).digest('base64url');
}

/** Whether `given` is the session's CSRF token, compared in constant time. */
export function csrfTokenMatches(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The CSRF token of the browser session the request came with; absent with a Bearer header. */
    csrfToken?: string;
  }
}
