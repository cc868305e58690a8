import { describe, expect, it } from 'vitest';
import { dialAttemptsFor, normalizeNumber, parseDialFormat } from '../../../src/numbers/index.js';

const br = normalizeNumber('+55 34 98414-9880');
const e164 = parseDialFormat('e164');
const digits = parseDialFormat('e164-digits');
const national = parseDialFormat('national');
const national0 = parseDialFormat({ format: 'national', prefix: '0' });

describe('dialAttemptsFor', () => {
  it('keeps the configured order when nothing is remembered', () => {
    expect(dialAttemptsFor(br, [e164, digits, national])).toEqual([e164, digits, national]);
  });

  it('puts the remembered format first and keeps the rest in order', () => {
    expect(dialAttemptsFor(br, [e164, digits, national], 'e164-digits')).toEqual([digits, e164, national]);
    expect(dialAttemptsFor(br, [e164, digits, national], 'national')).toEqual([national, e164, digits]);
  });

  it('ignores a remembered format the trunk no longer lists', () => {
    expect(dialAttemptsFor(br, [e164, digits], 'national')).toEqual([e164, digits]);
  });

  it('moves every variant of the remembered name, in configured order', () => {
    expect(dialAttemptsFor(br, [e164, national0, digits, national], 'national')).toEqual([
      national0,
      national,
      e164,
      digits,
    ]);
  });

  it('drops formats that give a dial string already in the list', () => {
    const digitsAgain = parseDialFormat('e164-digits');
    const sameAsDigits = parseDialFormat({ format: 'national', prefix: '55' });
    expect(dialAttemptsFor(br, [digits, e164, digitsAgain, sameAsDigits])).toEqual([digits, e164]);
  });

  it('returns nothing for no formats and does not change its input', () => {
    const formats = [e164, digits];
    expect(dialAttemptsFor(br, [])).toEqual([]);
    dialAttemptsFor(br, formats, 'e164-digits');
    expect(formats).toEqual([e164, digits]);
  });
});
