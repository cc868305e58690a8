import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

/**
 * The caller IDs of `pool` that match `callee` (E.164), best first: only those of the callee's
 * country calling code, ordered by how many leading digits they share with the callee (the same
 * area code, then the same exchange…: local presence), pool order among equals so a cap rotates
 * through them as listed. Empty when none is of the callee's country.
 */
export function rankCallerIds(callee: string, pool: readonly string[]): string[] {
  const calleeDigits = callee.replace(/\D/g, '');
  const code = parsePhoneNumberFromString(callee)?.countryCallingCode;
  if (code === undefined) return [];
  const ranked: Array<{ callerId: string; shared: number; index: number }> = [];
  pool.forEach((callerId, index) => {
    if (parsePhoneNumberFromString(callerId)?.countryCallingCode !== code) return;
    ranked.push({ callerId, shared: sharedPrefix(calleeDigits, callerId.replace(/\D/g, '')), index });
  });
  ranked.sort((a, b) => b.shared - a.shared || a.index - b.index);
  return ranked.map((r) => r.callerId);
}

function sharedPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}
