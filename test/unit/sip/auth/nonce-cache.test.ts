import { describe, expect, it } from 'vitest';

import {
  DigestInputError,
  NonceCache,
  parseDigestChallenge,
  type DigestChallenge,
} from '../../../../src/sip/embedded/auth/index.js';

const challenge = (nonce: string, realm = 'carrier.test'): DigestChallenge =>
  parseDigestChallenge(`Digest realm="${realm}", nonce="${nonce}", qop="auth", algorithm=SHA-256`);

/** A clock the test moves by hand. */
function manualClock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

describe('NonceCache', () => {
  it('counts nc 1, 2, 3 per scope and kind', () => {
    const cache = new NonceCache();
    cache.remember('trunk-a', 'www', challenge('n1'));
    cache.remember('trunk-b', 'www', challenge('n1'));
    expect(cache.next('trunk-a', 'www')?.nc).toBe(1);
    expect(cache.next('trunk-a', 'www')?.nc).toBe(2);
    expect(cache.next('trunk-b', 'www')?.nc).toBe(1);
    expect(cache.next('trunk-a', 'www')).toMatchObject({ nc: 3, kind: 'www', challenge: { nonce: 'n1' } });
  });

  it('restarts nc when the nonce changes, and keeps counting when the same nonce comes back', () => {
    const cache = new NonceCache();
    cache.remember('t', 'www', challenge('n1'));
    cache.next('t', 'www');
    cache.next('t', 'www');
    cache.remember('t', 'www', challenge('n1'));
    expect(cache.next('t', 'www')?.nc).toBe(3);
    cache.remember('t', 'www', challenge('n2'));
    expect(cache.next('t', 'www')).toMatchObject({ nc: 1, challenge: { nonce: 'n2' } });
  });

  it('keeps proxy and www apart, and hands both out for one request', () => {
    const cache = new NonceCache();
    cache.remember('t', 'www', challenge('w1', 'registrar'));
    cache.remember('t', 'proxy', challenge('p1', 'proxy-realm'));
    cache.next('t', 'www');
    expect(cache.next('t', 'proxy')).toMatchObject({ kind: 'proxy', nc: 1, challenge: { nonce: 'p1' } });

    const both = cache.next('t');
    expect(both.map((e) => [e.kind, e.challenge.nonce, e.nc])).toEqual([
      ['proxy', 'p1', 2],
      ['www', 'w1', 2],
    ]);

    cache.forget('t', 'proxy');
    expect(cache.next('t', 'proxy')).toBeUndefined();
    expect(cache.next('t').map((e) => e.kind)).toEqual(['www']);
    cache.forget('t');
    expect(cache.next('t')).toEqual([]);
    expect(cache.size).toBe(0);
  });

  it('keeps one protection space per realm: two proxies each get their own credentials', () => {
    const cache = new NonceCache();
    cache.remember('t', 'proxy', challenge('a', 'edge'));
    cache.remember('t', 'proxy', challenge('b', 'core'));
    expect(cache.next('t').map((e) => e.challenge.realm)).toEqual(['edge', 'core']);
    // With a kind, the most recently remembered one.
    expect(cache.next('t', 'proxy')?.challenge.realm).toBe('core');
  });

  it('forgets an entry once its TTL has passed since it was remembered', () => {
    const clock = manualClock();
    const cache = new NonceCache({ ttlMs: 60_000, now: clock.now });
    cache.remember('t', 'www', challenge('n1'));
    clock.advance(59_999);
    expect(cache.next('t', 'www')?.nc).toBe(1);
    clock.advance(1);
    expect(cache.next('t', 'www')).toBeUndefined();
    expect(cache.next('t')).toEqual([]);
    expect(cache.size).toBe(0);
  });

  it('defaults the TTL to 5 minutes, and a re-remembered nonce lives on', () => {
    const clock = manualClock();
    const cache = new NonceCache({ now: clock.now });
    cache.remember('t', 'www', challenge('n1'));
    clock.advance(4 * 60_000);
    cache.remember('t', 'www', challenge('n1'));
    clock.advance(4 * 60_000);
    expect(cache.next('t', 'www')?.nc).toBe(1);
    clock.advance(60_000);
    expect(cache.next('t', 'www')).toBeUndefined();
  });

  it('expires each kind on its own clock', () => {
    const clock = manualClock();
    const cache = new NonceCache({ ttlMs: 1000, now: clock.now });
    cache.remember('t', 'proxy', challenge('p'));
    clock.advance(600);
    cache.remember('t', 'www', challenge('w'));
    clock.advance(600);
    expect(cache.next('t').map((e) => e.kind)).toEqual(['www']);
  });

  it('holds at most maxScopes scopes, dropping the least recently used', () => {
    const cache = new NonceCache({ maxScopes: 3 });
    for (const scope of ['a', 'b', 'c']) cache.remember(scope, 'www', challenge(scope));
    cache.next('a', 'www'); // a is now more recent than b
    cache.remember('d', 'www', challenge('d'));
    expect(cache.size).toBe(3);
    expect(cache.next('b', 'www')).toBeUndefined();
    for (const scope of ['a', 'c', 'd']) expect(cache.next(scope, 'www')?.challenge.nonce).toBe(scope);
  });

  it('defaults to 1024 scopes', () => {
    const cache = new NonceCache();
    for (let i = 0; i < 1100; i++) cache.remember(`s${i}`, 'www', challenge(`n${i}`));
    expect(cache.size).toBe(1024);
    expect(cache.next('s75', 'www')).toBeUndefined();
    expect(cache.next('s76', 'www')?.nc).toBe(1);
  });

  it('empties on clear', () => {
    const cache = new NonceCache();
    cache.remember('t', 'www', challenge('n'));
    cache.clear();
    expect(cache.size).toBe(0);
    expect(cache.next('t', 'www')).toBeUndefined();
  });

  it('refuses bad options, naming them', () => {
    expect(() => new NonceCache({ ttlMs: 0 })).toThrow(expect.objectContaining({ field: 'ttlMs' }));
    expect(() => new NonceCache({ ttlMs: Number.NaN })).toThrow(DigestInputError);
    expect(() => new NonceCache({ maxScopes: 0 })).toThrow(expect.objectContaining({ field: 'maxScopes' }));
    expect(() => new NonceCache({ maxScopes: 2.5 })).toThrow(DigestInputError);
  });
});
