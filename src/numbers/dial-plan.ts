import { formatForDial, type DialFormat, type DialFormatName } from './dial-format.js';
import type { NormalizedNumber } from './normalized-number.js';

/**
 * The formats to try for one number, in order: those named `remembered` (the one that last worked
 * on this trunk for this country) first, then the rest in configured order. Formats that would
 * produce a dial string already in the list are dropped: the carrier would give the same answer.
 */
export function dialAttemptsFor(
  n: NormalizedNumber,
  formats: readonly DialFormat[],
  remembered?: DialFormatName,
): DialFormat[] {
  const ordered =
    remembered === undefined
      ? formats
      : [...formats.filter((f) => f.name === remembered), ...formats.filter((f) => f.name !== remembered)];
  const seen = new Set<string>();
  const out: DialFormat[] = [];
  for (const f of ordered) {
    const dial = formatForDial(n, f);
    if (seen.has(dial)) continue;
    seen.add(dial);
    out.push(f);
  }
  return out;
}
