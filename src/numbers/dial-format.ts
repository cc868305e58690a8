import { InvalidDialFormatError } from './invalid-dial-format-error.js';
import { nationalDialDigits } from './national-dial-digits.js';
import type { NormalizedNumber } from './normalized-number.js';

/**
 * How a trunk wants numbers written in the Request-URI user part:
 * - `e164`: `+5534984149880`;
 * - `e164-digits`: `5534984149880` (calling code and national number, no `+`);
 * - `national`: as dialled inside the country, trunk prefix included where the country uses one
 *   (`03012345679` for +49 30 12345679, `2015550123` for +1 201 555 0123);
 * - `national-significant`: the national significant number alone (`3012345679`), for carriers that
 *   want no trunk prefix or a different one (add it with `prefix`).
 */
export type DialFormatName = 'e164' | 'e164-digits' | 'national' | 'national-significant';

export const DIAL_FORMAT_NAMES: readonly DialFormatName[] = Object.freeze([
  'e164',
  'e164-digits',
  'national',
  'national-significant',
]);

export interface DialFormat {
  readonly name: DialFormatName;
  /** Tech or trunk prefix put before the number (`0`, `1010`, `*31#`). Digits, `#` and `*` only. */
  readonly prefix?: string;
}

/** What config holds: a bare name, or `{ format, prefix }` when a prefix is needed. */
export type DialFormatSpec = string | { readonly format: string; readonly prefix?: string };

const PREFIX = /^[0-9#*]{1,16}$/;

function isDialFormatName(value: unknown): value is DialFormatName {
  return typeof value === 'string' && (DIAL_FORMAT_NAMES as readonly string[]).includes(value);
}

/**
 * Reads one dial format from config. Strings are bare names (`e164-digits`); a prefix needs the
 * object form (`{ format: national-significant, prefix: '0' }`) so no separator character has to be reserved.
 * @throws InvalidDialFormatError naming `field`.
 */
export function parseDialFormat(spec: DialFormatSpec, field = 'dialFormat'): DialFormat {
  if (typeof spec === 'string') {
    if (!isDialFormatName(spec)) {
      throw new InvalidDialFormatError(
        field,
        spec,
        `unknown format, expected one of ${DIAL_FORMAT_NAMES.join(', ')}`,
      );
    }
    return Object.freeze({ name: spec });
  }
  if (spec === null || typeof spec !== 'object') {
    throw new InvalidDialFormatError(field, spec, 'expected a format name or { format, prefix }');
  }
  const extra = Object.keys(spec).filter((k) => k !== 'format' && k !== 'prefix');
  if (extra.length > 0) {
    throw new InvalidDialFormatError(`${field}.${extra[0]}`, spec, 'unknown key');
  }
  if (!isDialFormatName(spec.format)) {
    throw new InvalidDialFormatError(
      `${field}.format`,
      spec.format,
      `unknown format, expected one of ${DIAL_FORMAT_NAMES.join(', ')}`,
    );
  }
  if (spec.prefix === undefined || spec.prefix === '') return Object.freeze({ name: spec.format });
  if (typeof spec.prefix !== 'string' || !PREFIX.test(spec.prefix)) {
    throw new InvalidDialFormatError(`${field}.prefix`, spec.prefix, 'expected 1 to 16 of 0-9, # and *');
  }
  if (spec.format === 'e164') {
    // A '+' after other characters is no E.164 number and no valid dial string; use e164-digits.
    throw new InvalidDialFormatError(
      `${field}.prefix`,
      spec.prefix,
      'a prefix cannot precede "+": use e164-digits',
    );
  }
  return Object.freeze({ name: spec.format, prefix: spec.prefix });
}

/** The dial string (Request-URI user part, unescaped) for a number in a format. */
export function formatForDial(n: NormalizedNumber, f: DialFormat): string {
  const prefix = f.prefix ?? '';
  switch (f.name) {
    case 'e164':
      return `${prefix}+${n.countryCallingCode}${n.nationalNumber}`;
    case 'e164-digits':
      return `${prefix}${n.countryCallingCode}${n.nationalNumber}`;
    case 'national':
      return `${prefix}${nationalDialDigits(n)}`;
    case 'national-significant':
      return `${prefix}${n.nationalNumber}`;
  }
}
