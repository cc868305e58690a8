import { StringDecoder } from 'node:string_decoder';
import { isSupportedCountry, type CountryCode } from 'libphonenumber-js/max';
import { InvalidNumberError } from '../numbers/index.js';
import { normalizeNumber } from '../numbers/index.js';
import { validateCampaignName } from './campaign-settings.js';
import type { DialJob } from './dial-job.js';
import { InvalidCampaignError } from './invalid-campaign-error.js';
import { jobIdFor } from './job-id.js';
import { splitCsvLine } from './split-csv-line.js';

export interface ImportProgress {
  /** Data rows read (header and blank lines not counted). */
  readonly rows: number;
  readonly valid: number;
  readonly invalid: number;
  /** Valid rows whose number appeared earlier in the file. */
  readonly duplicates: number;
  /** Jobs the queue did not have yet. */
  readonly enqueued: number;
}

export interface ImportBadRow {
  /** 1-based line where the record starts. */
  readonly line: number;
  readonly input: string;
  /** An InvalidNumberError reason, `MISSING_NUMBER`, or `UNTERMINATED_QUOTE`. */
  readonly reason: string;
}

export interface ImportReport extends ImportProgress {
  /** Unique valid numbers whose job was already queued (an earlier import of the same campaign). */
  readonly alreadyQueued: number;
  readonly lines: number;
  /** Header fields when the file has a header. */
  readonly header?: readonly string[];
  /** Header name of the number column, or `#1` style when there is no header. */
  readonly numberColumn: string;
  /** The first bad rows, in file order. */
  readonly errors: readonly ImportBadRow[];
  /** Bad rows beyond those kept in `errors`. */
  readonly errorsOmitted: number;
}

export type EnqueueBatch = (jobs: Array<{ jobId: string; data: DialJob }>) => Promise<number>;

export interface CampaignImportInput {
  /** A file stream (bytes, UTF-8) or any stream of text chunks. */
  readonly stream: NodeJS.ReadableStream;
  readonly campaign: string;
  readonly trunk: { readonly name: string; readonly defaultCountry?: CountryCode };
  /** Country for numbers without `+` and calling code; default: the trunk's. */
  readonly defaultCountry?: CountryCode;
  /**
   * Header name of the number column (case-insensitive). Default: a column named number, phone or
   * msisdn, else the first column.
   */
  readonly column?: string;
  /** Default `,`. */
  readonly delimiter?: ',' | ';' | '\t';
  /** Adds jobs (BullMQ addBulk with these job ids) and resolves with how many were new. */
  readonly enqueue: EnqueueBatch;
  /** Rows per `enqueue` call. Default 1000. */
  readonly batchSize?: number;
  readonly onProgress?: (progress: ImportProgress) => void;
  /** Where the campaign's `total` is kept (a CampaignStore); bumped after every batch. */
  readonly store?: { addTotal(name: string, count: number): Promise<unknown> };
  /** `enqueuedAt` clock; injected by tests. Default `Date.now`. */
  readonly now?: () => number;
}

const MAX_REPORTED_ERRORS = 1000;
const DEFAULT_BATCH = 1000;
/** A quoted field left open this long is a broken file, not a long address. */
const MAX_RECORD_CHARS = 64 * 1024;
/** Progress is also reported this often when no batch fills (a file of repeats or bad rows). */
const PROGRESS_EVERY_ROWS = 10_000;
const NUMBER_COLUMN_NAMES = new Set(['number', 'phone', 'msisdn']);

/**
 * Streams a CSV of numbers into a campaign: normalises each number, drops repeats within the file,
 * reports bad rows by line number without stopping, and enqueues in batches with job ids
 * `<campaign>~<e164>`, so importing the same file again enqueues nothing new.
 *
 * Memory: one batch of jobs plus a Set of the file's numbers for the in-file dedupe, about 40 bytes
 * of heap per unique number (≈40 MB for a million; budget 100 bytes with GC headroom). A V8 Set holds at most 2^24 (≈16.7 M)
 * entries; a larger list must be split into several files (repeats across files are still
 * caught by the job ids). Reading waits while a batch is being enqueued, so a slow Redis never
 * makes the file pile up in memory.
 * @throws InvalidCampaignError for bad options (campaign, trunk, defaultCountry, column, batchSize).
 */
export async function importCampaignCsv(input: CampaignImportInput): Promise<ImportReport> {
  const campaign = validateCampaignName(input.campaign, 'campaign');
  validateCampaignName(input.trunk?.name, 'trunk.name');
  const defaultCountry = input.defaultCountry ?? input.trunk.defaultCountry;
  if (defaultCountry !== undefined && !isSupportedCountry(defaultCountry)) {
    throw new InvalidCampaignError('defaultCountry', defaultCountry, 'expected an ISO 3166 alpha-2 country');
  }
  const batchSize = input.batchSize ?? DEFAULT_BATCH;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 100_000) {
    throw new InvalidCampaignError('batchSize', batchSize, 'expected an integer from 1 to 100000');
  }
  const delimiter = input.delimiter ?? ',';
  const now = input.now ?? Date.now;
  const trunk = input.trunk.name;

  let lines = 0;
  let rows = 0;
  let valid = 0;
  let invalid = 0;
  let duplicates = 0;
  let enqueued = 0;
  let alreadyQueued = 0;
  const errors: ImportBadRow[] = [];
  let errorsOmitted = 0;
  // E.164 digits as a number: at most 15 digits, below 2^53 so exact, and half the memory of a string.
  const seen = new Set<number>();

  let header: string[] | undefined;
  let numberIndex = 0;
  let columnNames: string[] = [];
  let decided = false;

  let batch: Array<{ jobId: string; data: DialJob }> = [];
  let batchTime = now();
  let nextProgressAt = PROGRESS_EVERY_ROWS;

  const progress = (): ImportProgress => ({ rows, valid, invalid, duplicates, enqueued });
  const bad = (line: number, text: string, reason: string): void => {
    invalid++;
    if (errors.length < MAX_REPORTED_ERRORS) errors.push({ line, input: text, reason });
    else errorsOmitted++;
  };
  const report = (): void => {
    nextProgressAt = rows + PROGRESS_EVERY_ROWS;
    input.onProgress?.(progress());
  };
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const jobs = batch;
    batch = [];
    const added = await input.enqueue(jobs);
    if (!Number.isInteger(added) || added < 0 || added > jobs.length) {
      throw new InvalidCampaignError(
        'enqueue',
        added,
        `must resolve with the number of new jobs (0 to ${jobs.length})`,
      );
    }
    enqueued += added;
    alreadyQueued += jobs.length - added;
    if (added > 0) await input.store?.addTotal(campaign, added);
    batchTime = now();
    report();
  };

  const decideHeader = (fields: string[]): boolean => {
    decided = true;
    const names = fields.map((f) => f.trim());
    const lower = names.map((n) => n.toLowerCase());
    let index: number;
    if (input.column !== undefined) {
      index = lower.indexOf(input.column.trim().toLowerCase());
      if (index === -1) {
        throw new InvalidCampaignError('column', input.column, `not in the header (${names.join(', ')})`);
      }
    } else {
      index = lower.findIndex((n) => NUMBER_COLUMN_NAMES.has(n));
      if (index === -1 && !/[0-9]/.test(names[0] ?? '')) index = 0;
    }
    if (index === -1) return false;
    header = names;
    numberIndex = index;
    columnNames = names.map((n, i) => (n === '' ? `column${i + 1}` : n));
    return true;
  };

  const handleRecord = (line: number, fields: string[]): void => {
    if (!decided && decideHeader(fields)) return;
    rows++;
    const raw = (fields[numberIndex] ?? '').trim();
    if (raw === '') return bad(line, raw, 'MISSING_NUMBER');
    let e164: string;
    let country: string | undefined;
    try {
      const n = normalizeNumber(raw, { defaultCountry });
      e164 = n.e164;
      country = n.country;
    } catch (err) {
      if (!(err instanceof InvalidNumberError)) throw err;
      return bad(line, raw, err.reason);
    }
    valid++;
    const key = Number(e164.slice(1));
    if (seen.has(key)) {
      duplicates++;
      return;
    }
    seen.add(key);

    let metadata: Record<string, string> | undefined;
    if (fields.length > 1) {
      const entries: Array<[string, string]> = [];
      for (let i = 0; i < fields.length; i++) {
        if (i !== numberIndex) entries.push([columnNames[i] ?? `column${i + 1}`, fields[i] as string]);
      }
      // fromEntries defines own properties, so a header named __proto__ stays plain data.
      metadata = Object.fromEntries(entries);
    }
    const data: DialJob = {
      v: 1,
      number: e164,
      ...(country === undefined ? {} : { country }),
      trunk,
      campaign,
      enqueuedAt: batchTime,
      ...(metadata === undefined ? {} : { metadata }),
    };
    batch.push({ jobId: jobIdFor({ campaign, e164 }), data });
  };

  // Lines are cut from the chunks by hand rather than with node:readline: the loop awaits only when
  // a batch is full, and iterating the stream pauses it meanwhile (backpressure).
  const decoder = new StringDecoder('utf8');
  let carry = '';
  let pending: string | undefined;
  let pendingLine = 0;
  const takeLine = (rawLine: string): void => {
    lines++;
    let text = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (lines === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    let start = lines;
    if (pending !== undefined) {
      text = `${pending}\n${text}`;
      start = pendingLine;
      pending = undefined;
    } else if (text.trim() === '') {
      return;
    }
    const fields = splitCsvLine(text, delimiter);
    if (fields === undefined) {
      if (text.length > MAX_RECORD_CHARS) return bad(start, text.slice(0, 80), 'UNTERMINATED_QUOTE');
      pending = text;
      pendingLine = start;
      return;
    }
    handleRecord(start, fields);
  };

  for await (const chunk of input.stream) {
    const text = carry + (typeof chunk === 'string' ? chunk : decoder.write(chunk));
    let from = 0;
    let nl: number;
    while ((nl = text.indexOf('\n', from)) !== -1) {
      takeLine(text.slice(from, nl));
      from = nl + 1;
      if (batch.length >= batchSize) await flush();
      else if (rows >= nextProgressAt) report();
    }
    carry = text.slice(from);
  }
  carry += decoder.end();
  if (carry !== '') takeLine(carry);
  if (pending !== undefined) bad(pendingLine, pending.slice(0, 80), 'UNTERMINATED_QUOTE');
  // The last progress call always carries the final counts.
  if (batch.length > 0) await flush();
  else report();

  return {
    ...progress(),
    alreadyQueued,
    lines,
    ...(header === undefined ? {} : { header }),
    numberColumn: header === undefined ? `#${numberIndex + 1}` : (header[numberIndex] as string),
    errors,
    errorsOmitted,
  };
}
