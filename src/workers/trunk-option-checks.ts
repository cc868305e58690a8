import { InvalidTrunkOptionError } from './invalid-trunk-option-error.js';

/** Option checks shared by the limiter and the circuit; each throws naming the field and value. */
export function checkTrunkName(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0)
    throw new InvalidTrunkOptionError(field, value, 'a non-empty string');
  return value;
}

export function checkNumber(
  field: string,
  value: unknown,
  {
    min,
    max,
    integer = false,
    minExclusive = false,
  }: { min: number; max?: number; integer?: boolean; minExclusive?: boolean },
): number {
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (minExclusive ? value > min : value >= min) &&
    (max === undefined || value <= max) &&
    (!integer || Number.isInteger(value));
  if (!ok) {
    const range = `${minExclusive ? '>' : '>='} ${min}${max === undefined ? '' : ` and <= ${max}`}`;
    throw new InvalidTrunkOptionError(field, value, `${integer ? 'an integer' : 'a number'} ${range}`);
  }
  return value as number;
}

/** The injected clock's reading as a script argument; empty means "use Redis TIME". */
export function clockArg(now: (() => number) | undefined): string {
  if (now === undefined) return '';
  const t = now();
  if (!Number.isFinite(t)) throw new InvalidTrunkOptionError('now()', t, 'a finite number of milliseconds');
  return String(t);
}
