import {
  ParseError,
  isSupportedCountry,
  parsePhoneNumberWithError,
  validatePhoneNumberLength,
  type CountryCode,
  type PhoneNumber,
} from 'libphonenumber-js/max';
import { InvalidNumberError, type InvalidNumberReason } from './invalid-number-error.js';
import type { NormalizedNumber } from './normalized-number.js';

export interface NormalizeNumberOptions {
  /** Country assumed for numbers written without `+` and calling code. */
  readonly defaultCountry?: CountryCode;
  /** Name of the input field, used in errors. Default `number`. */
  readonly field?: string;
}

/** No real number with an extension comes near this; longer input is refused before parsing. */
export const MAX_NUMBER_INPUT_LENGTH = 64;

/**
 * Characters that have a meaning in SIP (URI delimiters, header/param syntax, line breaks) and none
 * in a phone number. The output is rebuilt from digits so they could not reach the wire anyway;
 * refusing them at the edge tells the producer its data is wrong instead of dialling a guess.
 */
// eslint-disable-next-line no-control-regex -- control characters are exactly what this must catch
const BAD_CHARACTERS = /[@;<>:="'`\\\u0000-\u001f\u007f]|sips?:/i;

/** Visual separators people put in numbers. `\s` covers NBSP and the other Unicode spaces. */
const SEPARATORS = /[\s\-.()[\]\u2010-\u2015\u2212]/g;

const PARSE_REASONS: ReadonlySet<string> = new Set([
  'NOT_A_NUMBER',
  'INVALID_COUNTRY',
  'TOO_SHORT',
  'TOO_LONG',
]);

/**
 * Parses a phone number with full (`max`) metadata and refuses anything that is not a valid number.
 * @throws InvalidNumberError naming the field, the input and the reason.
 */
export function normalizeNumber(input: string, options: NormalizeNumberOptions = {}): NormalizedNumber {
  const field = options.field ?? 'number';
  const fail = (reason: InvalidNumberReason, cause?: unknown): never => {
    throw new InvalidNumberError({ field, input, reason, cause });
  };

  if (typeof input !== 'string') fail('NOT_A_NUMBER');
  if (input.length > MAX_NUMBER_INPUT_LENGTH) fail('TOO_LONG');
  if (BAD_CHARACTERS.test(input)) fail('BAD_CHARACTERS');
  if (options.defaultCountry !== undefined && !isSupportedCountry(options.defaultCountry)) {
    throw new InvalidNumberError({
      field: 'defaultCountry',
      input: String(options.defaultCountry),
      reason: 'INVALID_COUNTRY',
    });
  }

  const compact = input.replace(SEPARATORS, '');
  let parsed: PhoneNumber | undefined;
  try {
    // extract: false, or libphonenumber would pick a number out of surrounding text and accept it.
    parsed = parsePhoneNumberWithError(compact, { defaultCountry: options.defaultCountry, extract: false });
  } catch (err) {
    if (err instanceof ParseError && PARSE_REASONS.has(err.message)) {
      fail(err.message as InvalidNumberReason, err);
    }
    fail('NOT_A_NUMBER', err);
  }
  const n = parsed as PhoneNumber;

  if (!n.isValid()) {
    // Re-checked on the E.164 form so a default country cannot change the verdict.
    const length = validatePhoneNumberLength(n.number);
    fail(
      length === 'TOO_SHORT' || length === 'TOO_LONG' || length === 'INVALID_COUNTRY' ? length : 'INVALID',
    );
  }

  const type = n.getType();
  return {
    e164: n.number,
    ...(n.country === undefined ? {} : { country: n.country }),
    nationalNumber: n.nationalNumber,
    countryCallingCode: n.countryCallingCode,
    ...(n.ext === undefined ? {} : { extension: n.ext }),
    ...(type === undefined ? {} : { type }),
  };
}
