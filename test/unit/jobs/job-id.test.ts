import { describe, expect, it } from 'vitest';
import { JobIdError } from '../../../src/jobs/job-id-error.js';
import { jobIdFor } from '../../../src/jobs/job-id.js';

// BullMQ's own rules (Queue.add throws on these): no ':' and not integer-like.
function bullmqSafe(id: string): boolean {
  return !id.includes(':') && !/^-?[0-9]+$/.test(id) && String(Number.parseInt(id, 10)) !== id;
}

describe('jobIdFor', () => {
  it('derives campaign job ids from campaign and number', () => {
    expect(jobIdFor({ campaign: 'spring-sale', e164: '+5534984149880' })).toBe('spring-sale~+5534984149880');
    // Campaign wins over a key: the same number is never dialled twice in one campaign.
    expect(jobIdFor({ campaign: 'c1', e164: '+5534984149880', idempotencyKey: 'abc' })).toBe(
      'c1~+5534984149880',
    );
  });

  it('derives ids from idempotency keys, even all-digit ones', () => {
    expect(jobIdFor({ idempotencyKey: 'order-42.retry_1' })).toBe('k~order-42.retry_1');
    expect(jobIdFor({ idempotencyKey: '12345' })).toBe('k~12345');
  });

  it('makes a fresh id otherwise', () => {
    const a = jobIdFor({});
    expect(a).toMatch(/^u~[0-9a-f-]{36}$/);
    expect(jobIdFor({})).not.toBe(a);
  });

  it('only makes ids BullMQ accepts', () => {
    for (const id of [
      jobIdFor({ campaign: '1', e164: '+5534984149880' }),
      jobIdFor({ idempotencyKey: '1' }),
      jobIdFor({}),
    ]) {
      expect(bullmqSafe(id)).toBe(true);
    }
  });

  it.each([
    [{ idempotencyKey: 'a:b' }, 'idempotencyKey'],
    [{ idempotencyKey: '' }, 'idempotencyKey'],
    [{ idempotencyKey: 'x'.repeat(129) }, 'idempotencyKey'],
    [{ campaign: 'Spring', e164: '+5534984149880' }, 'campaign'],
    [{ campaign: 'a~b', e164: '+5534984149880' }, 'campaign'],
    [{ campaign: 'spring' }, 'e164'],
    [{ campaign: 'spring', e164: '34984149880' }, 'e164'],
  ])('refuses %j naming %s', (input, field) => {
    expect(() => jobIdFor(input)).toThrow(JobIdError);
    expect(() => jobIdFor(input)).toThrow(new RegExp(`^${field} `));
  });
});
