import { ConfigError } from './config-error.js';

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

// Units must appear largest first and at most once (`1h30m`, not `30m1h` or `1m1m`): a
// duration written out of order is more likely a typo than an intent.
const UNIT_ORDER = ['d', 'h', 'm', 's', 'ms'];
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;
/** What a duration must look like, for error messages. */
export const DURATION_EXPECTED = 'expected milliseconds or a duration like 500ms, 30s, 5m, 2h, 1d or 1m30s';

/**
 * A duration as written in the configuration, in whole milliseconds. A number (or a string of
 * digits) is already milliseconds. Throws `ConfigError` naming `field` and the value.
 */
export function parseDuration(value: string | number, field: string): number {
  const ms = tryParseDuration(value);
  if (ms === undefined) {
    const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
    throw new ConfigError([{ path: field, message: `invalid duration ${shown}: ${DURATION_EXPECTED}` }]);
  }
  return ms;
}

/** Like `parseDuration`, but undefined instead of an error; for validators that report their own. */
export function tryParseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return fromNumber(value);
  if (typeof value === 'string') return fromString(value);
  return undefined;
}

function fromNumber(value: number): number | undefined {
  if (!Number.isFinite(value) || value < 0) return undefined;
  return Math.round(value);
}

function fromString(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  let total = 0;
  let lastUnitIndex = -1;
  PART.lastIndex = 0;
  while (PART.lastIndex < trimmed.length) {
    const match = PART.exec(trimmed);
    if (match === null) return undefined;
    const [, amount = '', unit = ''] = match;
    const unitIndex = UNIT_ORDER.indexOf(unit);
    if (unitIndex <= lastUnitIndex) return undefined;
    lastUnitIndex = unitIndex;
    total += Number(amount) * (UNIT_MS[unit] ?? Number.NaN);
  }
  return Number.isFinite(total) ? Math.round(total) : undefined;
}
