import { RESULT_COLUMNS, type ResultRow } from './result-row.js';

export const RESULT_FORMATS = Object.freeze(['csv', 'jsonl'] as const);
export type ResultFormat = (typeof RESULT_FORMATS)[number];

export function isResultFormat(value: unknown): value is ResultFormat {
  return typeof value === 'string' && (RESULT_FORMATS as readonly string[]).includes(value);
}

export const RESULT_CONTENT_TYPES: Readonly<Record<ResultFormat, string>> = Object.freeze({
  csv: 'text/csv; charset=utf-8',
  jsonl: 'application/jsonl; charset=utf-8',
});

/** The CSV header line (no line break). */
export function resultCsvHeader(): string {
  return RESULT_COLUMNS.join(',');
}

/** One CSV record (RFC 4180 quoting; no line break). */
export function resultCsvLine(row: ResultRow): string {
  return RESULT_COLUMNS.map((column) => csvField(column, row[column])).join(',');
}

/** One JSON line (no line break). */
export function resultJsonLine(row: ResultRow): string {
  return JSON.stringify(row);
}

/** Lines of an export, header first for CSV, each without its line break. */
export async function* resultLines(
  rows: AsyncIterable<ResultRow>,
  format: ResultFormat,
): AsyncGenerator<string> {
  if (format === 'csv') yield resultCsvHeader();
  for await (const row of rows) yield format === 'csv' ? resultCsvLine(row) : resultJsonLine(row);
}

function csvField(column: string, value: string | number | boolean | undefined): string {
  if (value === undefined) return '';
  let text = String(value);
  // The reason and verstat are the carrier's text: a spreadsheet would run `=HYPERLINK(…)` as a formula.
  if ((column === 'reason' || column === 'verstat') && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
