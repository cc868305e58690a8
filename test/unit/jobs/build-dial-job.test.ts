import { describe, expect, it } from 'vitest';
import { buildDialJob, dialJobFactory } from '../../../src/jobs/build-dial-job.js';
import { EnqueueError } from '../../../src/jobs/enqueue-error.js';
import type { NormalizedNumber } from '../../../src/numbers/index.js';

const number = (e164: string, country = 'BR'): NormalizedNumber => ({ e164, country }) as NormalizedNumber;
const fixed = { trunk: 'carrier', campaign: 'spring', callerId: '+5534999990000', importId: 'imp-1' };

describe('dialJobFactory', () => {
  it('makes the same jobs as buildDialJob, row after row', () => {
    const build = dialJobFactory(fixed);
    const rows = [
      { number: number('+5534984149880'), metadata: { name: 'Ann' }, enqueuedAt: 1 },
      { number: number('+447400123456', 'GB'), enqueuedAt: 2 },
      { number: number('+5534984149881'), metadata: { name: 'Bob', city: 'Rio' }, enqueuedAt: 3 },
    ];
    for (const row of rows) expect(build(row)).toEqual(buildDialJob({ ...fixed, ...row }));
  });

  it('holds every row to the rules, not only the first', () => {
    const build = dialJobFactory(fixed);
    build({ number: number('+5534984149880'), enqueuedAt: 1 });
    const lf = () => build({ number: number('+5534984149881'), metadata: { city: 'a\nb' }, enqueuedAt: 2 });
    expect(lf).toThrow(EnqueueError);
    expect(lf).toThrow(/^metadata\.city "a\\nb": must not contain CR, LF or NUL/);
    expect(() => build({ number: number('+12'), enqueuedAt: 3 })).toThrow(/^number "\+12"/);
    expect(() => build({ number: number('+5534984149882', 'Brazil'), enqueuedAt: 4 })).toThrow(/^country/);
  });

  it('refuses bad fixed parts on every row, naming the field', () => {
    const build = dialJobFactory({ ...fixed, callerId: 'no digits' });
    for (const enqueuedAt of [1, 2]) {
      expect(() => build({ number: number('+5534984149880'), enqueuedAt })).toThrow(/^callerId/);
    }
  });
});
