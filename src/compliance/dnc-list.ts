import type { RedisConnection } from '../redis/index.js';
import type { CountryCode } from 'libphonenumber-js/max';
import { NAME_PATTERN } from '../kernel/index.js';
import type { DialerKeys } from '../kernel/index.js';
import { InvalidNumberError } from '../numbers/index.js';
import { normalizeNumber } from '../numbers/index.js';
import { ComplianceInputError } from './compliance-input-error.js';

export type DncCheck =
  { readonly blocked: false } | { readonly blocked: true; readonly list: 'global' | 'campaign' };

export interface DncNumberOptions {
  /** Country for numbers written without `+` and calling code. Without it they are refused. */
  readonly defaultCountry?: CountryCode;
}

export interface DncImportOptions extends DncNumberOptions {
  /** Per-campaign list; omitted: the global list. */
  readonly campaign?: string;
  /** Numbers per SADD. Default 1000. */
  readonly batchSize?: number;
}

export interface DncBadLine {
  /** 1-based line number in the input. */
  readonly line: number;
  readonly input: string;
  readonly reason: string;
}

export interface DncImportReport {
  /** Lines read, blank and comment lines included. */
  readonly lines: number;
  readonly valid: number;
  /** Numbers not on the list before (repeats within the input count once). */
  readonly added: number;
  readonly invalid: number;
  /** The first bad lines, in order. */
  readonly errors: readonly DncBadLine[];
  /** Bad lines beyond those kept in `errors`. */
  readonly errorsOmitted: number;
}

const E164 = /^\+[1-9][0-9]{6,14}$/;
const MAX_REPORTED_ERRORS = 1000;
const DEFAULT_BATCH = 1000;

/**
 * Do-not-call lists in Redis: one global set and one set per campaign, of E.164 numbers. The
 * worker asks `has()` when it takes a job, so a number added after import is still never rung.
 * Borrows the Redis connection; the caller closes it.
 */
export class DncList {
  readonly #redis: RedisConnection;
  readonly #keys: DialerKeys;

  constructor(options: { readonly redis: RedisConnection; readonly keys: DialerKeys }) {
    this.#redis = options.redis;
    this.#keys = options.keys;
  }

  /**
   * Adds numbers, normalised first; nothing is written if any is bad.
   * @returns how many were not on the list yet.
   * @throws InvalidNumberError naming `numbers[i]`; ComplianceInputError for a bad campaign name.
   */
  async add(numbers: readonly string[], campaign?: string, options: DncNumberOptions = {}): Promise<number> {
    const key = this.#key(campaign);
    let added = 0;
    for (const batch of chunks(normalizeAll(numbers, options), DEFAULT_BATCH)) {
      added += await this.#redis.sadd(key, ...batch);
    }
    return added;
  }

  /**
   * Removes numbers, normalised first; nothing is removed if any is bad.
   * @returns how many were on the list.
   */
  async remove(
    numbers: readonly string[],
    campaign?: string,
    options: DncNumberOptions = {},
  ): Promise<number> {
    const key = this.#key(campaign);
    let removed = 0;
    for (const batch of chunks(normalizeAll(numbers, options), DEFAULT_BATCH)) {
      removed += await this.#redis.srem(key, ...batch);
    }
    return removed;
  }

  /**
   * Whether `e164` may not be called: the global list, and the campaign's when given, checked in
   * one round trip. The global list wins when the number is on both.
   * @throws ComplianceInputError when `e164` is not E.164 (a raw number would silently never match).
   */
  async has(e164: string, campaign?: string): Promise<DncCheck> {
    if (typeof e164 !== 'string' || !E164.test(e164)) {
      throw new ComplianceInputError('e164', e164, 'expected an E.164 number such as +5534984149880');
    }
    if (campaign === undefined) {
      return (await this.#redis.sismember(this.#keys.dnc(), e164)) === 1
        ? { blocked: true, list: 'global' }
        : { blocked: false };
    }
    const campaignKey = this.#key(campaign);
    const results = await this.#redis
      .pipeline()
      .sismember(this.#keys.dnc(), e164)
      .sismember(campaignKey, e164)
      .exec();
    const [global, own] = (results ?? []).map(([err, value]) => {
      if (err) throw err;
      return value === 1;
    });
    if (global === true) return { blocked: true, list: 'global' };
    if (own === true) return { blocked: true, list: 'campaign' };
    return { blocked: false };
  }

  /** Numbers on the global list, or on the campaign's own list (the global one not included). */
  async count(campaign?: string): Promise<number> {
    return this.#redis.scard(this.#key(campaign));
  }

  /**
   * Streams numbers into a list, one per line (CSV lines: the first field; a first line without a
   * digit is taken as a header; blank and `#` lines are skipped). Bad lines are reported with their
   * line number and do not stop the import. Memory stays flat: one batch at a time.
   */
  async import(lines: AsyncIterable<string>, options: DncImportOptions = {}): Promise<DncImportReport> {
    const key = this.#key(options.campaign);
    const batchSize = options.batchSize ?? DEFAULT_BATCH;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 100_000) {
      throw new ComplianceInputError('batchSize', batchSize, 'expected an integer from 1 to 100000');
    }
    const report = { lines: 0, valid: 0, added: 0, invalid: 0, errors: [] as DncBadLine[], errorsOmitted: 0 };
    let batch: string[] = [];
    let seenContent = false;
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      report.added += await this.#redis.sadd(key, ...batch);
      batch = [];
    };

    for await (const raw of lines) {
      report.lines++;
      const text = (report.lines === 1 ? raw.replace(/^\uFEFF/, '') : raw).trim();
      if (text === '' || text.startsWith('#')) continue;
      const field = firstField(text);
      const isFirst = !seenContent;
      seenContent = true;
      if (isFirst && !/[0-9]/.test(field)) continue;
      try {
        batch.push(normalizeNumber(field, { defaultCountry: options.defaultCountry }).e164);
        report.valid++;
      } catch (err) {
        if (!(err instanceof InvalidNumberError)) throw err;
        report.invalid++;
        if (report.errors.length < MAX_REPORTED_ERRORS) {
          report.errors.push({ line: report.lines, input: field, reason: err.reason });
        } else {
          report.errorsOmitted++;
        }
      }
      if (batch.length >= batchSize) await flush();
    }
    await flush();
    return report;
  }

  #key(campaign: string | undefined): string {
    if (campaign !== undefined && (typeof campaign !== 'string' || !NAME_PATTERN.test(campaign))) {
      throw new ComplianceInputError('campaign', campaign, `expected a name matching ${NAME_PATTERN}`);
    }
    return this.#keys.dnc(campaign);
  }
}

function normalizeAll(numbers: readonly string[], options: DncNumberOptions): string[] {
  if (!Array.isArray(numbers)) throw new ComplianceInputError('numbers', numbers, 'expected an array');
  return numbers.map(
    (n, i) => normalizeNumber(n, { defaultCountry: options.defaultCountry, field: `numbers[${i}]` }).e164,
  );
}

function* chunks<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

/** First CSV field, unquoted: DNC files are often exports with the number first. */
function firstField(line: string): string {
  if (line.startsWith('"')) {
    const close = line.indexOf('"', 1);
    return (close === -1 ? line.slice(1) : line.slice(1, close)).trim();
  }
  const comma = line.indexOf(',');
  return (comma === -1 ? line : line.slice(0, comma)).trim();
}
