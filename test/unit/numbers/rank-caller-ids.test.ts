import { describe, expect, it } from 'vitest';
import { rankCallerIds } from '../../../src/numbers/index.js';

describe('rankCallerIds (local presence)', () => {
  const pool = ['+14155550100', '+553432100000', '+551130000000', '+553432200000', '+5534984149880'];

  it('puts the longest shared prefix first, within the callee country only', () => {
    expect(rankCallerIds('+553432101234', pool)).toEqual([
      '+553432100000',
      '+553432200000',
      '+5534984149880',
      '+551130000000',
    ]);
    expect(rankCallerIds('+551131234567', pool)[0]).toBe('+551130000000');
  });

  it('keeps pool order among equals, so a cap rotates through them as listed', () => {
    expect(rankCallerIds('+553499999999', ['+553432200000', '+553432100000'])).toEqual([
      '+553432200000',
      '+553432100000',
    ]);
  });

  it('matches nothing in another country, and nothing for a callee it cannot parse', () => {
    expect(rankCallerIds('+442071838750', pool)).toEqual([]);
    expect(rankCallerIds('not a number', pool)).toEqual([]);
  });
});
