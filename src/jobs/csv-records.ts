import { StringDecoder } from 'node:string_decoder';
import { splitCsvLine } from './split-csv-line.js';

/** A quoted field left open this long is a broken file, not a long address. */
const MAX_RECORD_CHARS = 64 * 1024;

/** One CSV record and the 1-based line it starts on; `broken` when its quote never closed. */
export type CsvRecord =
  { readonly line: number; readonly fields: string[] } | { readonly line: number; readonly broken: string };

/**
 * Cuts a stream's chunks into CSV records: a byte-order mark, CRLF, blank lines and quoted fields
 * over several lines handled, every record with the line it starts on. Lines are cut by hand
 * rather than with node:readline so the caller can stop between records (await a batch) and the
 * stream stays paused meanwhile: `push` yields record by record.
 */
export class CsvRecords {
  readonly #delimiter: string;
  readonly #decoder = new StringDecoder('utf8');
  #carry = '';
  #pending: string | undefined;
  #pendingLine = 0;
  #lines = 0;

  constructor(delimiter: string) {
    this.#delimiter = delimiter;
  }

  /** Lines read so far. */
  get lines(): number {
    return this.#lines;
  }

  /** The records completed by this chunk. */
  *push(chunk: string | Buffer): Generator<CsvRecord> {
    const text = this.#carry + (typeof chunk === 'string' ? chunk : this.#decoder.write(chunk));
    let from = 0;
    let nl: number;
    while ((nl = text.indexOf('\n', from)) !== -1) {
      const record = this.#take(text.slice(from, nl));
      from = nl + 1;
      if (record !== undefined) yield record;
    }
    this.#carry = text.slice(from);
  }

  /** The last record (a file without a final newline) and a quote left open at the end. */
  *end(): Generator<CsvRecord> {
    const rest = this.#carry + this.#decoder.end();
    this.#carry = '';
    if (rest !== '') {
      const record = this.#take(rest);
      if (record !== undefined) yield record;
    }
    if (this.#pending !== undefined) {
      yield { line: this.#pendingLine, broken: this.#pending.slice(0, 80) };
      this.#pending = undefined;
    }
  }

  #take(rawLine: string): CsvRecord | undefined {
    this.#lines++;
    let text = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (this.#lines === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    let start = this.#lines;
    if (this.#pending !== undefined) {
      text = `${this.#pending}\n${text}`;
      start = this.#pendingLine;
      this.#pending = undefined;
    } else if (text.trim() === '') {
      return undefined;
    }
    const fields = splitCsvLine(text, this.#delimiter);
    if (fields !== undefined) return { line: start, fields };
    if (text.length > MAX_RECORD_CHARS) return { line: start, broken: text.slice(0, 80) };
    this.#pending = text;
    this.#pendingLine = start;
    return undefined;
  }
}
