import { describe, expect, it } from 'vitest';
import { callerIdProblem, callerIdUri } from '../../../src/kernel/index.js';

describe('callerIdProblem: the one caller-ID rule', () => {
  it.each([
    '+5534999990000',
    '+55 34 99999-0000',
    '(11) 3456-7890',
    'sip:ops@carrier.test',
    'tel:+442071838750',
  ])('accepts %s', (value) => expect(callerIdProblem(value)).toBeUndefined());

  it.each([
    ['ACME Corp', /phone number .* or a sip:\/tel: URI/],
    ['', /empty/],
    ['12', /phone number/],
    ['sip:a@b>;evil=1', /phone number/],
    ['<sip:x@y>', /phone number/],
    ['+55\r\nX: y', /CR, LF or NUL/],
    ['1'.repeat(65), /longer than 64/],
  ])('refuses %j', (value, reason) => expect(callerIdProblem(value)).toMatch(reason));

  it('writes a number as sip:<digits>@domain and keeps a URI as given', () => {
    expect(callerIdUri('+55 34 99999-0000', 'carrier.test')).toBe('sip:+5534999990000@carrier.test');
    expect(callerIdUri('tel:+442071838750', 'carrier.test')).toBe('tel:+442071838750');
  });
});
