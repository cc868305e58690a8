import type { CountryCode } from 'libphonenumber-js/max';

/** A number that parsed and is valid, split into the parts dial formats are built from. */
export interface NormalizedNumber {
  /** `+5534984149880`. Never carries the extension. */
  readonly e164: string;
  /** Absent for numbers of non-geographic calling codes (+800, +882…). */
  readonly country?: CountryCode;
  /** National significant number, without trunk prefix: `34984149880`. */
  readonly nationalNumber: string;
  /** `55`. */
  readonly countryCallingCode: string;
  /** Digits after `x`, `ext.`, `#`…; kept apart because it is never part of the dial string. */
  readonly extension?: string;
  /** libphonenumber-js type (`MOBILE`, `FIXED_LINE`, …) when the metadata knows it. */
  readonly type?: string;
}
