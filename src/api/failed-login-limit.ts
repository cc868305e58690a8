import type { FastifyInstance, FastifyRequest } from 'fastify';
import { httpErrorResponse } from './http-error-response.js';
import { TooManyFailedLoginsError } from './too-many-failed-logins-error.js';

const WINDOW_MS = 60_000;
// Bounds the memory a flood from many addresses can take; the oldest address is forgotten first.
const MAX_ADDRESSES = 100_000;

/**
 * Refuses, with 429 and `Retry-After`, a client address that got `maxFailures` 401s within a
 * minute for a token or cookie it offered, until the oldest of them is a minute old. Kept in memory per API server: behind several
 * servers the limit applies to each one separately.
 */
export function registerFailedLoginLimit(app: FastifyInstance, maxFailures: number): void {
  const failures = new Map<string, number[]>();
  const recent = (address: string, now: number): number[] => {
    const times = (failures.get(address) ?? []).filter((t) => now - t < WINDOW_MS);
    if (times.length === 0) failures.delete(address);
    else failures.set(address, times);
    return times;
  };
  app.addHook('onRequest', async (request, reply) => {
    const now = Date.now();
    const times = recent(request.ip, now);
    if (times.length < maxFailures) return;
    const retryAfterS = Math.max(1, Math.ceil((times[0]! + WINDOW_MS - now) / 1000));
    // Answered here, not thrown: Bull Board's plugin has its own error handler, which would make it a 500.
    const { status, body } = httpErrorResponse(new TooManyFailedLoginsError(request.ip, retryAfterS));
    return reply
      .code(status)
      .header('retry-after', String(retryAfterS))
      .header('connection', 'close')
      .send(body);
  });
  app.addHook('onResponse', async (request, reply) => {
    // A request that offered no credentials at all (a browser's first visit) guessed nothing.
    if (reply.statusCode !== 401 || !offeredCredentials(request)) return;
    const now = Date.now();
    const times = recent(request.ip, now);
    times.push(now);
    failures.delete(request.ip);
    failures.set(request.ip, times.slice(-maxFailures));
    if (failures.size > MAX_ADDRESSES) failures.delete(failures.keys().next().value!);
  });
}

function offeredCredentials(request: FastifyRequest): boolean {
  const { authorization, cookie } = request.headers;
  return authorization !== undefined || cookie !== undefined || /[?&]token=/i.test(decodeSafely(request.url));
}

function decodeSafely(url: string): string {
  try {
    return decodeURIComponent(url);
  } catch {
    return url;
  }
}
