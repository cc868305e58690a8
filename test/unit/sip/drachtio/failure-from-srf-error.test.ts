import { AssertionError } from 'node:assert';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { SipFailure } from '../../../../src/sip/sip-failure.js';
import { failureFromSrfError } from '../../../../src/sip/drachtio/failure-from-srf-error.js';
import type { SrfResponse } from '../../../../src/sip/drachtio/srf-api.js';

// drachtio-srf's own SipError class, so the test follows the library if its shape changes.
const SipError = (
  createRequire(import.meta.url)('drachtio-srf') as { SipError: new (s: number, r?: string) => Error }
).SipError;

function response(status: number, reason: string, headers: Record<string, string>): SrfResponse {
  const lower = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    status,
    reason,
    headers,
    body: '',
    get: (name) => lower.get(name.toLowerCase()),
    has: (name) => lower.has(name.toLowerCase()),
    getParsedHeader: () => [],
  };
}

describe('failureFromSrfError', () => {
  it('turns a SipError into a SipFailure with the response headers and Retry-After', () => {
    const error = Object.assign(new SipError(503, 'Service Unavailable'), {
      res: response(503, 'Service Unavailable', { 'Retry-After': '30', 'Call-ID': 'x' }),
    });
    const failure = failureFromSrfError(error, { phase: 'setup' });
    expect(failure).toBeInstanceOf(SipFailure);
    expect(failure.status).toBe(503);
    expect(failure.local).toBe(false);
    expect(failure.retryAfterMs).toBe(30_000);
    expect(failure.headers['retry-after']).toBe('30');
    expect(failure.phase).toBe('setup');
  });

  it('keeps the cancel cause on a 487', () => {
    const error = Object.assign(new SipError(487, 'Request Terminated'), {
      res: response(487, 'Request Terminated', {}),
    });
    expect(failureFromSrfError(error, { phase: 'ringing', cancelCause: 'ring-timeout' }).cancelCause).toBe(
      'ring-timeout',
    );
  });

  it('never lets an AssertionError through: it becomes a local transport failure', () => {
    const assertion = new AssertionError({ message: 'false == true' });
    const failure = failureFromSrfError(assertion, { phase: 'setup' });
    expect(failure).toBeInstanceOf(SipFailure);
    expect(failure.status).toBe(503);
    expect(failure.phase).toBe('transport');
    expect(failure.local).toBe(true);
    expect(failure.cause).toBe(assertion);
  });
});
