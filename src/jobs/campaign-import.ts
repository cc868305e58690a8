import { isSupportedCountry, type CountryCode } from 'libphonenumber-js/max';
import { InvalidNumberError, normalizeNumber, type NormalizedNumber } from '../numbers/index.js';
import { dialJobFactory } from './build-dial-job.js';
import { validateCampaignName } from './campaign-settings.js';
import type { DialJob } from './dial-job.js';
import { EnqueueError } from './enqueue-error.js';
import { InvalidCampaignError } from './invalid-campaign-error.js';
import { jobIdFor } from './job-id.js';
import { CsvRecords, type CsvRecord } from './csv-records.js';
import { numberColumnOf, type NumberColumn } from './number-column.js';

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
  /**
   * An InvalidNumberError reason, `MISSING_NUMBER`, `UNTERMINATED_QUOTE`, or `JOB_INVALID` when the
   * row makes no valid dial job (then `field` names what, e.g. `metadata.name`).
   */
  readonly reason: string;
  readonly field?: string;
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
  /** Fields every job of the import carries (the campaign's caller ID). */
  readonly jobDefaults?: { readonly callerId?: string; readonly importId?: string };
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
/** Progress is also reported this often when no batch fills (a file of repeats or bad rows). */
const PROGRESS_EVERY_ROWS = 10_000;

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
  const run = new CsvImportRun(input);
  const records = new CsvRecords(input.delimiter ?? ',');
  for await (const chunk of input.stream) {
    for (const record of records.push(chunk)) {
      run.take(record);
      // Awaited between records: iterating the stream pauses it meanwhile (backpressure).
      if (run.batchFull) await run.flush();
      else run.reportEvery();
    }
  }
  for (const record of records.end()) run.take(record);
  // The last progress call always carries the final counts.
  await run.flush({ report: true });
  return run.report(records.lines);
}

/** One import's counts, its batch and its in-file dedupe, record by record. */
class CsvImportRun {
  readonly #input: CampaignImportInput;
  readonly #campaign: string;
  readonly #defaultCountry: CountryCode | undefined;
  readonly #batchSize: number;
  readonly #now: () => number;
  readonly #buildJob: ReturnType<typeof dialJobFactory>;
  #rows = 0;
  #valid = 0;
  #invalid = 0;
  #duplicates = 0;
  #enqueued = 0;
  #alreadyQueued = 0;
  readonly #errors: ImportBadRow[] = [];
  #errorsOmitted = 0;
  // E.164 digits as a number: at most 15 digits, below 2^53 so exact, and half the memory of a string.
  readonly #seen = new Set<number>();
  #column: NumberColumn | undefined;
  #batch: Array<{ jobId: string; data: DialJob }> = [];
  #batchTime: number;
  #nextProgressAt = PROGRESS_EVERY_ROWS;

  constructor(input: CampaignImportInput) {
    this.#input = input;
    this.#campaign = validateCampaignName(input.campaign, 'campaign');
    validateCampaignName(input.trunk?.name, 'trunk.name');
    const defaultCountry = input.defaultCountry ?? input.trunk.defaultCountry;
    if (defaultCountry !== undefined && !isSupportedCountry(defaultCountry)) {
      throw new InvalidCampaignError(
        'defaultCountry',
        defaultCountry,
        'expected an ISO 3166 alpha-2 country',
      );
    }
    this.#defaultCountry = defaultCountry;
    const batchSize = input.batchSize ?? DEFAULT_BATCH;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 100_000) {
      throw new InvalidCampaignError('batchSize', batchSize, 'expected an integer from 1 to 100000');
    }
    this.#batchSize = batchSize;
    this.#now = input.now ?? Date.now;
    this.#batchTime = this.#now();
    const callerId = input.jobDefaults?.callerId;
    const importId = input.jobDefaults?.importId;
    this.#buildJob = dialJobFactory({
      trunk: input.trunk.name,
      campaign: this.#campaign,
      ...(callerId === undefined ? {} : { callerId }),
      ...(importId === undefined ? {} : { importId }),
    });
  }

  get batchFull(): boolean {
    return this.#batch.length >= this.#batchSize;
  }

  take(record: CsvRecord): void {
    if ('broken' in record) return this.#bad(record.line, record.broken, 'UNTERMINATED_QUOTE');
    if (this.#column === undefined) {
      this.#column = numberColumnOf(record.fields, this.#input.column);
      if (this.#column.header !== undefined) return;
    }
    this.#row(record.line, record.fields, this.#column);
  }

  /** Reports progress when enough rows went by without a batch (repeats, bad rows). */
  reportEvery(): void {
    if (this.#rows >= this.#nextProgressAt) this.#report();
  }

  /** Enqueues the batch (and reports); with `report`, reports even when there was none. */
  async flush(options: { report?: boolean } = {}): Promise<void> {
    if (this.#batch.length === 0) {
      if (options.report) this.#report();
      return;
    }
    const jobs = this.#batch;
    this.#batch = [];
    const added = await this.#input.enqueue(jobs);
    if (!Number.isInteger(added) || added < 0 || added > jobs.length) {
      throw new InvalidCampaignError(
        'enqueue',
        added,
        `must resolve with the number of new jobs (0 to ${jobs.length})`,
      );
    }
    this.#enqueued += added;
    this.#alreadyQueued += jobs.length - added;
    if (added > 0) await this.#input.store?.addTotal(this.#campaign, added);
    this.#batchTime = this.#now();
    this.#report();
  }

  report(lines: number): ImportReport {
    const header = this.#column?.header;
    const index = this.#column?.index ?? 0;
    return {
      ...this.#progress(),
      alreadyQueued: this.#alreadyQueued,
      lines,
      ...(header === undefined ? {} : { header }),
      numberColumn: header === undefined ? `#${index + 1}` : (header[index] as string),
      errors: this.#errors,
      errorsOmitted: this.#errorsOmitted,
    };
  }

  #row(line: number, fields: string[], column: NumberColumn): void {
    this.#rows++;
    const raw = (fields[column.index] ?? '').trim();
    if (raw === '') return this.#bad(line, raw, 'MISSING_NUMBER');
    let number: NormalizedNumber;
    try {
      number = normalizeNumber(raw, { defaultCountry: this.#defaultCountry });
    } catch (err) {
      if (!(err instanceof InvalidNumberError)) throw err;
      return this.#bad(line, raw, err.reason);
    }
    const key = Number(number.e164.slice(1));
    if (this.#seen.has(key)) {
      this.#valid++;
      this.#duplicates++;
      return;
    }
    const metadata = metadataOf(fields, column);
    let data: DialJob;
    try {
      data = this.#buildJob({
        number,
        ...(metadata === undefined ? {} : { metadata }),
        enqueuedAt: this.#batchTime,
      });
    } catch (err) {
      if (!(err instanceof EnqueueError)) throw err;
      return this.#bad(line, raw, err.code, err.field);
    }
    this.#valid++;
    this.#seen.add(key);
    this.#batch.push({ jobId: jobIdFor({ campaign: this.#campaign, e164: number.e164 }), data });
  }

  #bad(line: number, text: string, reason: string, field?: string): void {
    this.#invalid++;
    if (this.#errors.length < MAX_REPORTED_ERRORS)
      this.#errors.push({ line, input: text, reason, ...(field === undefined ? {} : { field }) });
    else this.#errorsOmitted++;
  }

  #progress(): ImportProgress {
    return {
      rows: this.#rows,
      valid: this.#valid,
      invalid: this.#invalid,
      duplicates: this.#duplicates,
      enqueued: this.#enqueued,
    };
  }

  #report(): void {
    this.#nextProgressAt = this.#rows + PROGRESS_EVERY_ROWS;
    this.#input.onProgress?.(this.#progress());
  }
}

/** A row's other fields, by column name. */
function metadataOf(fields: readonly string[], column: NumberColumn): Record<string, string> | undefined {
  if (fields.length <= 1) return undefined;
  const entries: Array<[string, string]> = [];
  for (let i = 0; i < fields.length; i++) {
    if (i !== column.index) entries.push([column.names[i] ?? `column${i + 1}`, fields[i] as string]);
  }
  // fromEntries defines own properties, so a header named __proto__ stays plain data.
  return Object.fromEntries(entries);
}
