import { parsePhoneNumberWithError } from 'libphonenumber-js/max';
import type { NormalizedNumber } from './normalized-number.js';

/**
 * The number as it is dialled inside its own country, digits only, as libphonenumber formats it
 * nationally: the trunk prefix where the country dials one (`030 12345679` in Germany, `8 916…`
 * in Russia), none where it does not (`2015550123` in the US), and national quirks such as
 * Argentina's mobile `15` (`011 15-2345-6789`). Worked out from the E.164 form each time, so jobs
 * queued before a metadata update dial what the current metadata says.
 */
export function nationalDialDigits(n: NormalizedNumber): string {
  const digits = parsePhoneNumberWithError(n.e164).formatNational().replace(/\D/g, '');
  // Non-geographic numbers (+800, +882…) have no national form; libphonenumber then gives the NSN.
  return digits === '' ? n.nationalNumber : digits;
}
