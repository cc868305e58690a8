import { describe, expect, it } from 'vitest';
import { ApiRequestError, BodyTooLargeError, httpErrorResponse, redactUrl } from '../../../src/api/index.js';
import { CampaignNotFoundError } from '../../../src/jobs/campaign-not-found-error.js';
import { CampaignStateError } from '../../../src/jobs/campaign-state-error.js';
import { EnqueueError } from '../../../src/jobs/enqueue-error.js';
import { ImportInProgressError } from '../../../src/jobs/import-in-progress-error.js';
import { InvalidCampaignError } from '../../../src/jobs/invalid-campaign-error.js';
import { InvalidNumberError } from '../../../src/numbers/invalid-number-error.js';
import { RedisUnreachableError } from '../../../src/redis/index.js';

describe('httpErrorResponse', () => {
  it('turns our input errors into 400 with the field and the reason', () => {
    expect(httpErrorResponse(new EnqueueError('callerId', 'a: b', 'must not contain CR, LF or NUL'))).toEqual(
      {
        status: 400,
        body: {
          error: 'JOB_INVALID',
          message: 'callerId "a: b": must not contain CR, LF or NUL',
          field: 'callerId',
          reason: 'must not contain CR, LF or NUL',
        },
      },
    );
    expect(
      httpErrorResponse(new InvalidNumberError({ field: 'numbers[2]', input: '12', reason: 'TOO_SHORT' }))
        .body,
    ).toMatchObject({ error: 'NUMBER_INVALID', field: 'numbers[2]', reason: 'TOO_SHORT' });
    expect(
      httpErrorResponse(new InvalidCampaignError('maxAttempts', 50, 'expected 1 to 20')).body,
    ).toMatchObject({
      field: 'maxAttempts',
      reason: 'expected 1 to 20',
    });
    expect(httpErrorResponse(new ApiRequestError('wait', '5m', 'too long')).status).toBe(400);
  });

  it('maps Redis out of reach or refusing us to 503 REDIS_UNAVAILABLE, without saying where Redis is', () => {
    const ours = new RedisUnreachableError('Redis at redis://ops:***@db:6379 is not available: WRONGPASS …');
    expect(httpErrorResponse(ours)).toEqual({
      status: 503,
      body: { error: 'REDIS_UNAVAILABLE', message: "Redis is not available; the server's log says why" },
    });
    for (const message of [
      'WRONGPASS invalid username-password pair or user is disabled.',
      'NOAUTH Authentication required.',
      "NOPERM this user has no permissions to run the 'get' command",
    ])
      expect(httpErrorResponse(new Error(message)).status).toBe(503);
    expect(httpErrorResponse(new Error('ERR wrong number of arguments')).status).toBe(500);
  });

  it('maps not found to 404, state conflicts to 409, size to 413', () => {
    expect(httpErrorResponse(new CampaignNotFoundError('x')).status).toBe(404);
    expect(httpErrorResponse(new CampaignStateError('x', 'cancelled', 'running')).status).toBe(409);
    expect(httpErrorResponse(new ImportInProgressError('x', 'some-import')).body).toMatchObject({
      error: 'IMPORT_IN_PROGRESS',
    });
    expect(httpErrorResponse(new ImportInProgressError('x', 'some-import')).status).toBe(409);
    expect(httpErrorResponse(new BodyTooLargeError(10)).status).toBe(413);
    expect(
      httpErrorResponse({ code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413, message: 'big' }).status,
    ).toBe(413);
  });

  it('names the field of a schema error', () => {
    const missing = httpErrorResponse({
      message: 'x',
      validationContext: 'body',
      validation: [
        {
          instancePath: '',
          message: "must have required property 'number'",
          params: { missingProperty: 'number' },
        },
      ],
    });
    expect(missing).toEqual({
      status: 400,
      body: {
        error: 'VALIDATION_FAILED',
        message: "number: must have required property 'number'",
        field: 'number',
        reason: "must have required property 'number'",
      },
    });
    const nested = httpErrorResponse({
      message: 'x',
      validation: [{ instancePath: '/window/days/0', message: 'must be <= 6', params: {} }],
    });
    expect(nested.body).toMatchObject({ field: 'window.days.0', reason: 'must be <= 6' });
  });

  it('hides anything else behind a 500', () => {
    expect(httpErrorResponse(new Error('secret detail'))).toEqual({
      status: 500,
      body: { error: 'INTERNAL', message: 'internal error (logged)' },
    });
  });
});

describe('redactUrl', () => {
  it('replaces the token query parameter wherever it is', () => {
    expect(redactUrl('/docs?token=abc')).toBe('/docs?token=[redacted]');
    expect(redactUrl('/a?x=1&token=abc&y=2')).toBe('/a?x=1&token=[redacted]&y=2');
    expect(redactUrl('/a?tokens=1')).toBe('/a?tokens=1');
  });

  it('redacts a token parameter whose name is percent-encoded', () => {
    expect(redactUrl('/docs?to%6Ben=SECRET')).toBe('/docs?to%6Ben=[redacted]');
    expect(redactUrl('/docs?x=1&%74%6F%6B%65%6E=SECRET#h')).toBe('/docs?x=1&%74%6F%6B%65%6E=[redacted]#h');
    expect(redactUrl('/docs?%zz=1&token')).toBe('/docs?%zz=1&token=[redacted]');
  });
});
