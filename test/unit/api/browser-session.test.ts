import { describe, expect, it } from 'vitest';
import {
  browserSessionValue,
  checkBrowserSession,
  csrfTokenFor,
  csrfTokenMatches,
} from '../../../src/api/index.js';
import type { ApiTokenConfig } from '../../../src/config/index.js';

const HOUR = 3_600_000;
// A fixed instant: these checks are about arithmetic on the cookie, not about the clock.
const T0 = Date.UTC(2026, 0, 15, 9, 0, 0);
const ops: ApiTokenConfig = { name: 'ops', token: 'oper-0123456789abcdef', role: 'operator' };
const wall: ApiTokenConfig = { name: 'wall', token: 'view-0123456789abcdef', role: 'viewer' };

describe('browser session cookie value', () => {
  it('names the token that opened it, among several, while it is current', () => {
    const value = browserSessionValue(wall, T0, 8 * HOUR);
    expect(checkBrowserSession(value, [ops, wall], T0 + 7 * HOUR, 8 * HOUR)).toStrictEqual({
      ok: true,
      token: wall,
    });
    expect(value).not.toContain(wall.token);
  });

  it('is expired once its TTL has passed, and when it outlives a shortened TTL', () => {
    const value = browserSessionValue(ops, T0, 8 * HOUR);
    expect(checkBrowserSession(value, [ops], T0 + 8 * HOUR, 8 * HOUR)).toStrictEqual({
      ok: false,
      reason: 'expired',
    });
    expect(checkBrowserSession(value, [ops], T0 + HOUR, 2 * HOUR)).toStrictEqual({
      ok: false,
      reason: 'expired',
    });
    // Issued by a server whose clock is far ahead: not one this fleet handed out in good faith.
    expect(checkBrowserSession(value, [ops], T0 - HOUR, 8 * HOUR)).toMatchObject({ ok: false });
  });

  it('cannot be extended or re-dated by the client', () => {
    const value = browserSessionValue(ops, T0, HOUR);
    const [issued, expires, nonce, mac] = value.split('.') as [string, string, string, string];
    const later = `${issued}.${Number(expires) + 86_400}.${nonce}.${mac}`;
    const reissued = `${Number(issued) + 3_600}.${Number(expires) + 3_600}.${nonce}.${mac}`;
    const renonced = `${issued}.${expires}.${'A'.repeat(22)}.${mac}`;
    for (const forged of [later, reissued, renonced]) {
      expect(checkBrowserSession(forged, [ops], T0 + 2 * HOUR, 30 * 24 * HOUR)).toStrictEqual({
        ok: false,
        reason: 'invalid',
      });
    }
  });

  it('ends when its token is rotated, removed, renamed or its role changes', () => {
    const value = browserSessionValue(ops, T0, HOUR);
    const now = T0 + 60_000;
    for (const tokens of [
      [{ ...ops, token: 'oper-rotated-0123456789' }],
      [wall],
      [{ ...ops, name: 'ops2' }],
      [{ ...ops, role: 'admin' as const }],
    ]) {
      expect(checkBrowserSession(value, tokens, now, HOUR)).toStrictEqual({ ok: false, reason: 'invalid' });
    }
  });

  it.each(['', 'garbage', `${ops.token}`, '1.2.abc', `1.2.${'A'.repeat(44)}`, `1.2.${'A'.repeat(43)}`])(
    'refuses %j',
    (value) => {
      expect(checkBrowserSession(value, [ops], T0, HOUR)).toStrictEqual({ ok: false, reason: 'invalid' });
    },
  );
});

describe('CSRF token of a browser session', () => {
  it('is stable for one session and differs between sessions and tokens; never holds the token', () => {
    const a = browserSessionValue(ops, T0, 8 * HOUR);
    const b = browserSessionValue(ops, T0 + 1000, 8 * HOUR);
    const tokenA = csrfTokenFor(ops, a);
    expect(csrfTokenFor(ops, a)).toBe(tokenA);
    expect(csrfTokenFor(ops, b)).not.toBe(tokenA);
    // Two sessions one token opened in the same second are two sessions, with two CSRF tokens.
    const sameSecond = browserSessionValue(ops, T0, 8 * HOUR);
    expect(sameSecond).not.toBe(a);
    expect(csrfTokenFor(ops, sameSecond)).not.toBe(tokenA);
    expect(csrfTokenFor(wall, a)).not.toBe(tokenA);
    // Renaming the token or changing its role gives its sessions other CSRF tokens too.
    expect(csrfTokenFor({ ...ops, role: 'admin' }, a)).not.toBe(tokenA);
    expect(csrfTokenFor({ ...ops, name: 'ops2' }, a)).not.toBe(tokenA);
    expect(tokenA).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(tokenA).not.toContain(ops.token);
    // Not the session MAC itself: the cookie's last part cannot be replayed as the form token.
    expect(a.endsWith(tokenA)).toBe(false);
  });

  it('matches only itself', () => {
    const token = csrfTokenFor(ops, browserSessionValue(ops, T0, HOUR));
    expect(csrfTokenMatches(token, token)).toBe(true);
    expect(csrfTokenMatches(undefined, token)).toBe(false);
    expect(csrfTokenMatches('', token)).toBe(false);
    expect(csrfTokenMatches(`${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`, token)).toBe(false);
    expect(csrfTokenMatches(`${token}x`, token)).toBe(false);
  });
});
