import { InvalidCampaignError } from './invalid-campaign-error.js';

const NUMBER_COLUMN_NAMES = new Set(['number', 'phone', 'msisdn']);

/** Where a CSV keeps its numbers, read off its first record. */
export interface NumberColumn {
  /** The header's fields, trimmed; absent when the first record is already data. */
  readonly header?: string[];
  /** 0-based index of the number field. */
  readonly index: number;
  /** A name for every field, for the rest of a row's metadata (`column3` for an unnamed one). */
  readonly names: string[];
}

/**
 * Reads the first record: a header naming `column` (when given, else number, phone or msisdn, or
 * a first field without digits), or data with the number first.
 * @throws InvalidCampaignError when `column` is given and the header does not have it.
 */
export function numberColumnOf(first: readonly string[], column?: string): NumberColumn {
  const names = first.map((f) => f.trim());
  const lower = names.map((n) => n.toLowerCase());
  let index: number;
  if (column !== undefined) {
    index = lower.indexOf(column.trim().toLowerCase());
    if (index === -1)
      throw new InvalidCampaignError('column', column, `not in the header (${names.join(', ')})`);
  } else {
    index = lower.findIndex((n) => NUMBER_COLUMN_NAMES.has(n));
    if (index === -1 && !/[0-9]/.test(names[0] ?? '')) index = 0;
  }
  if (index === -1) return { index: 0, names: first.map((_, i) => `column${i + 1}`) };
  return { header: names, index, names: names.map((n, i) => (n === '' ? `column${i + 1}` : n)) };
}
