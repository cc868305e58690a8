import { describe, expect, it } from 'vitest';
import { InvalidNumberError, MAX_NUMBER_INPUT_LENGTH, normalizeNumber } from '../../../src/numbers/index.js';
import type { InvalidNumberReason } from '../../../src/numbers/index.js';

function rejection(input: string, options: Parameters<typeof normalizeNumber>[1] = {}): InvalidNumberError {
  try {
    normalizeNumber(input, options);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidNumberError);
    return err as InvalidNumberError;
  }
  throw new Error(`expected ${JSON.stringify(input)} to be rejected`);
}

describe('normalizeNumber', () => {
  it('normalises the Brazilian reference number', () => {
    expect(normalizeNumber('+55 34 98414-9880')).toEqual({
      e164: '+5534984149880',
      country: 'BR',
      nationalNumber: '34984149880',
      countryCallingCode: '55',
      type: 'MOBILE',
    });
  });

  it.each([
    ['34 98414-9880', 'BR', '+5534984149880', 'BR', '34984149880', 'MOBILE'],
    ['(034) 3214-5678', 'BR', '+553432145678', 'BR', '3432145678', 'FIXED_LINE'],
    ['07400 123456', 'GB', '+447400123456', 'GB', '7400123456', 'MOBILE'],
    ['020 7946 0958', 'GB', '+442079460958', 'GB', '2079460958', 'FIXED_LINE'],
    ['(415) 555-2671', 'US', '+14155552671', 'US', '4155552671', 'FIXED_LINE_OR_MOBILE'],
    ['415.555.2671', 'US', '+14155552671', 'US', '4155552671', 'FIXED_LINE_OR_MOBILE'],
    ['030 123456', 'DE', '+4930123456', 'DE', '30123456', 'FIXED_LINE'],
    ['01512 3456789', 'DE', '+4915123456789', 'DE', '15123456789', 'MOBILE'],
    // An explicit calling code wins over the default country.
    ['+44 7400 123456', 'BR', '+447400123456', 'GB', '7400123456', 'MOBILE'],
  ] as const)('%s with default %s → %s', (input, defaultCountry, e164, country, national, type) => {
    const n = normalizeNumber(input, { defaultCountry });
    expect(n.e164).toBe(e164);
    expect(n.country).toBe(country);
    expect(n.nationalNumber).toBe(national);
    expect(n.type).toBe(type);
    expect(n.extension).toBeUndefined();
  });

  it('accepts Unicode spaces and dashes people paste from documents', () => {
    expect(normalizeNumber('+55\u00a034\u00a098414\u20139880').e164).toBe('+5534984149880');
  });

  it.each([
    ['+55 34 98414-9880 x123', '123'],
    ['+55 34 98414-9880 ext. 123', '123'],
    ['+1 (415) 555-2671 extension 42', '42'],
    ['+1 415 555 2671#7', '7'],
  ])('keeps the extension of %s apart', (input, ext) => {
    const n = normalizeNumber(input);
    expect(n.extension).toBe(ext);
    expect(n.e164).not.toContain(ext === '7' ? '#' : ext);
    expect(n.e164).toMatch(/^\+\d+$/);
    expect(n.nationalNumber).toMatch(/^\d+$/);
  });

  it.each<[string, InvalidNumberReason, string | undefined]>([
    ['+55 12', 'TOO_SHORT', undefined],
    ['12', 'TOO_SHORT', 'GB'],
    ['+55 34 98414-9880 1234567', 'TOO_LONG', undefined],
    ['hello', 'NOT_A_NUMBER', undefined],
    ['call +5534984149880 now', 'NOT_A_NUMBER', undefined],
    ['1-800-FLOWERS', 'NOT_A_NUMBER', 'US'],
    ['', 'NOT_A_NUMBER', undefined],
    ['34984149880', 'INVALID_COUNTRY', undefined],
    ['+999 1234 5678', 'INVALID_COUNTRY', undefined],
    ['+1 000 555 0123', 'INVALID', undefined],
  ])('rejects %j with %s', (input, reason, defaultCountry) => {
    const err = rejection(
      input,
      defaultCountry === undefined ? {} : { defaultCountry: defaultCountry as 'GB' },
    );
    expect(err.reason).toBe(reason);
    expect(err.code).toBe('NUMBER_INVALID');
    expect(err.field).toBe('number');
    expect(err.input).toBe(input);
  });

  it('says which field and value were wrong in the message', () => {
    const err = rejection('+55 12', { field: 'rows[3].phone' });
    expect(err.message).toBe('rows[3].phone "+55 12": TOO_SHORT');
    expect(err.field).toBe('rows[3].phone');
  });

  it('caps the input length before parsing', () => {
    const long = `+5534984149880${' '.repeat(MAX_NUMBER_INPUT_LENGTH)}`;
    expect(rejection(long).reason).toBe('TOO_LONG');
    expect(normalizeNumber(`+5534984149880${' '.repeat(MAX_NUMBER_INPUT_LENGTH - 14)}`).e164).toBe(
      '+5534984149880',
    );
  });

  it('names the default country when it is not a country', () => {
    const err = rejection('34984149880', { defaultCountry: 'XX' as 'BR' });
    expect(err.reason).toBe('INVALID_COUNTRY');
    expect(err.field).toBe('defaultCountry');
    expect(err.input).toBe('XX');
  });

  it.each([
    '1234@evil.example;transport=tcp',
    '1234;user=phone>',
    '+5534984149880@carrier.test',
    '+5534984149880;ext=12',
    'sip:+5534984149880',
    'SIPS:5534984149880',
    'tel:+5534984149880',
    '<+5534984149880>',
    '+5534984149880\r\nVia: SIP/2.0/UDP evil',
    '+5534984149880\n',
    '+5534984149880\u0000',
    '"+5534984149880"',
    "'+5534984149880'",
    '+5534984149880=1',
    '+5534984149880\\',
  ])('rejects %j as BAD_CHARACTERS', (input) => {
    const err = rejection(input, { field: 'to' });
    expect(err.reason).toBe('BAD_CHARACTERS');
    expect(err.field).toBe('to');
    expect(err.message.startsWith('to "')).toBe(true);
    for (const c of ['\r', '\n', '\u0000']) expect(err.message).not.toContain(c);
  });
});
