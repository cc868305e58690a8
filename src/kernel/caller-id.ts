/** Longest caller ID accepted anywhere (job, campaign, trunk, engine). */
export const MAX_CALLER_ID_LENGTH = 64;

const PHONE_NUMBER = /^\+?[0-9(][0-9 ().-]*$/;
// A SIP or tel URI with nothing that could close the <…> it is written in or start a parameter
// list of the header itself.
const CALLER_URI = /^(sips?:[A-Za-z0-9\-_.!~*'()&=+$,;?/%]+@[A-Za-z0-9.\-[\]:]+|tel:\+?[0-9\-.()]+)$/;

/**
 * Why `value` cannot be presented as a caller ID (P-Asserted-Identity and From display), or
 * undefined when it can: a phone number (`+55 34 99999-0000`, at least 3 digits) or a `sip:`,
 * `sips:` or `tel:` URI. The one rule every edge and both engines apply.
 */
export function callerIdProblem(value: string): string | undefined {
  if (value.length === 0) return 'is empty';
  if (value.length > MAX_CALLER_ID_LENGTH) return `is longer than ${MAX_CALLER_ID_LENGTH} characters`;
  if (/[\r\n\0]/.test(value)) return 'contains CR, LF or NUL';
  if (CALLER_URI.test(value)) return undefined;
  if (PHONE_NUMBER.test(value) && (value.match(/[0-9]/g)?.length ?? 0) >= 3) return undefined;
  return 'must be a phone number (e.g. +5534999990000) or a sip:/tel: URI';
}

/** The caller ID as the URI of P-Asserted-Identity: a URI as given, a number as sip:<digits>@domain. */
export function callerIdUri(value: string, domain: string): string {
  if (/^(sips?|tel):/.test(value)) return value;
  const digits = value.replace(/[^0-9+]/g, '');
  return `sip:${digits}@${domain}`;
}
