import { parsePhoneNumberWithError, type CountryCode } from 'libphonenumber-js/max';
import { describe, expect, it } from 'vitest';
import { sampleNumbers } from '../../../src/demo/index.js';
import {
  InvalidDialFormatError,
  formatForDial,
  normalizeNumber,
  parseDialFormat,
} from '../../../src/numbers/index.js';

const reference = normalizeNumber('+55 34 98414-9880');

describe('parseDialFormat', () => {
  it.each(['e164', 'e164-digits', 'national'] as const)('reads the bare name %s', (name) => {
    expect(parseDialFormat(name)).toEqual({ name });
  });

  it('reads a prefix from the object form', () => {
    expect(parseDialFormat({ format: 'national', prefix: '0' })).toEqual({ name: 'national', prefix: '0' });
    expect(parseDialFormat({ format: 'e164-digits', prefix: '*31#' })).toEqual({
      name: 'e164-digits',
      prefix: '*31#',
    });
    expect(parseDialFormat({ format: 'national', prefix: '' })).toEqual({ name: 'national' });
  });

  it.each<[unknown, string]>([
    ['E.164', 'trunks[0].dialFormats[1]'],
    ['', 'trunks[0].dialFormats[1]'],
    [{ format: 'intl' }, 'trunks[0].dialFormats[1].format'],
    [{ format: 'national', prefix: '0;x' }, 'trunks[0].dialFormats[1].prefix'],
    [{ format: 'national', prefix: '+0' }, 'trunks[0].dialFormats[1].prefix'],
    [{ format: 'national', prefix: 12 }, 'trunks[0].dialFormats[1].prefix'],
    [{ format: 'e164', prefix: '0' }, 'trunks[0].dialFormats[1].prefix'],
    [{ format: 'national', pre: '0' }, 'trunks[0].dialFormats[1].pre'],
    [null, 'trunks[0].dialFormats[1]'],
  ])('rejects %j naming %s', (spec, field) => {
    let caught: unknown;
    try {
      parseDialFormat(spec as never, 'trunks[0].dialFormats[1]');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InvalidDialFormatError);
    expect((caught as InvalidDialFormatError).field).toBe(field);
    expect((caught as InvalidDialFormatError).code).toBe('DIAL_FORMAT_INVALID');
  });
});

describe('formatForDial', () => {
  it('writes the reference number in each format', () => {
    expect(formatForDial(reference, { name: 'e164' })).toBe('+5534984149880');
    expect(formatForDial(reference, { name: 'e164-digits' })).toBe('5534984149880');
    expect(formatForDial(reference, { name: 'national' })).toBe('34984149880');
  });

  it('puts the prefix first', () => {
    expect(formatForDial(reference, parseDialFormat({ format: 'national', prefix: '0' }))).toBe(
      '034984149880',
    );
    expect(formatForDial(reference, parseDialFormat({ format: 'e164-digits', prefix: '1010' }))).toBe(
      '10105534984149880',
    );
  });

  it('never includes the extension', () => {
    const n = normalizeNumber('+1 415 555 2671 ext. 99');
    expect(formatForDial(n, { name: 'e164' })).toBe('+14155552671');
    expect(formatForDial(n, { name: 'national' })).toBe('4155552671');
  });

  it('dials national numbers with the trunk prefix where the country uses one', () => {
    const national = (input: string, country: CountryCode) =>
      formatForDial(normalizeNumber(input, { defaultCountry: country }), { name: 'national' });
    expect(national('030 12345679', 'DE')).toBe('03012345679');
    expect(national('020 7946 0958', 'GB')).toBe('02079460958');
    expect(national('8 916 123-45-67', 'RU')).toBe('89161234567');
    expect(national('090-1234-5678', 'JP')).toBe('09012345678');
    // Argentina's mobiles are dialled nationally with 15 after the area code.
    expect(national('+54 9 11 2345-6789', 'AR')).toBe('0111523456789');
    // The US and Brazil are written without one.
    expect(national('(201) 555-0123', 'US')).toBe('2015550123');
    expect(national('(34) 98414-9880', 'BR')).toBe('34984149880');
  });

  it('keeps the national significant number alone in national-significant (GB 0, DE 0)', () => {
    expect(
      formatForDial(normalizeNumber('020 7946 0958', { defaultCountry: 'GB' }), {
        name: 'national-significant',
      }),
    ).toBe('2079460958');
    expect(
      formatForDial(normalizeNumber('030 123456', { defaultCountry: 'DE' }), {
        name: 'national-significant',
      }),
    ).toBe('30123456');
  });

  it('dials every demo country nationally so that libphonenumber reads back the same number', () => {
    for (const { e164, country } of sampleNumbers(200)) {
      const dial = formatForDial(normalizeNumber(e164), { name: 'national' });
      expect(normalizeNumber(dial, { defaultCountry: country }).e164, `${country} ${dial}`).toBe(e164);
      expect(dial, country).toBe(parsePhoneNumberWithError(e164).formatNational().replace(/\D/g, ''));
    }
  });
});
