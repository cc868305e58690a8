import { Readable } from 'node:stream';
import { ApiRequestError } from './api-request-error.js';
import { csrfTokenMatches } from './browser-session.js';
import { CAMPAIGN_CREATE_PATH } from './campaign-create-page.js';
import type { CsvQuery } from './campaigns-routes.js';
import { CsrfRejectedError } from './csrf-rejected-error.js';
import { MultipartFormReader } from './multipart-form-reader.js';

/** The form's own fields; anything else is refused, naming it. */
const TEXT_FIELDS = [
  'name',
  'trunk',
  'callerId',
  'country',
  'windowStart',
  'windowEnd',
  'maxAttempts',
  'column',
] as const;
type TextField = (typeof TEXT_FIELDS)[number];
/** Most one text field of the form may hold. */
const MAX_FIELD_BYTES = 1024;
/** Most fields before the file (a form has 17 with every day ticked). */
const MAX_FIELDS = 40;
const HH_MM = /^\d{2}:\d{2}$/;

export interface UploadForm {
  /** The settings, as the script's query string would carry them. */
  readonly query: CsvQuery;
  /** The file's bytes, read as the import asks for them. */
  readonly file: Readable;
}

/**
 * The new-campaign form as a browser posts it without script (multipart/form-data, fields in the
 * form's order). With a browser session (`csrfToken` set) the first part must be the `csrf` field
 * holding that token: it is checked before any later part is parsed, so a forged upload reads no
 * byte of its file. The settings come next and the file last; the file is not read here, it is
 * handed on as a stream.
 * @throws CsrfRejectedError; ApiRequestError naming the field (or `body`) that is wrong.
 */
export async function readUploadForm(
  source: AsyncIterable<Buffer | string>,
  boundary: string,
  csrfToken: string | undefined,
): Promise<UploadForm> {
  const reader = new MultipartFormReader(source, boundary);
  let part = await reader.nextPart();
  if (csrfToken !== undefined) {
    const given = part?.name === 'csrf' ? await reader.value('csrf', MAX_FIELD_BYTES) : undefined;
    if (!csrfTokenMatches(given, csrfToken))
      throw new CsrfRejectedError('POST', CAMPAIGN_CREATE_PATH, given === undefined ? 'missing' : 'wrong');
    part = await reader.nextPart();
  }
  const text: Partial<Record<TextField, string>> = {};
  const days: string[] = [];
  let paused = false;
  for (let fields = 0; part !== undefined && part.filename === undefined; fields += 1) {
    if (fields >= MAX_FIELDS) throw new ApiRequestError('body', undefined, `more than ${MAX_FIELDS} fields`);
    const value = (await reader.value(part.name, MAX_FIELD_BYTES)).trim();
    if (part.name === 'days') days.push(value);
    else if (part.name === 'paused') paused = value === 'true';
    else if ((TEXT_FIELDS as readonly string[]).includes(part.name)) {
      if (value !== '') text[part.name as TextField] = value;
    } else if (part.name !== 'csrf') {
      throw new ApiRequestError(part.name, value, 'not a field of the new-campaign form');
    }
    part = await reader.nextPart();
  }
  if (part?.name !== 'file')
    throw new ApiRequestError('file', undefined, 'expected the CSV file as the last field of the form');
  return { query: queryOf(text, days, paused), file: Readable.from(fileThenEnd(reader)) };
}

/** The file's bytes, then a check that nothing but the closing boundary follows it. */
async function* fileThenEnd(reader: MultipartFormReader): AsyncGenerator<Buffer> {
  yield* reader.body();
  const after = await reader.nextPart();
  if (after !== undefined)
    throw new ApiRequestError(after.name, undefined, 'the file must be the last field of the form');
}

function queryOf(
  text: Partial<Record<TextField, string>>,
  days: readonly string[],
  paused: boolean,
): CsvQuery {
  const { windowStart, windowEnd, maxAttempts } = text;
  for (const [field, value] of [
    ['windowStart', windowStart],
    ['windowEnd', windowEnd],
  ] as const) {
    if (value !== undefined && !HH_MM.test(value)) throw new ApiRequestError(field, value, 'expected HH:MM');
  }
  if ((windowStart === undefined) !== (windowEnd === undefined))
    throw new ApiRequestError(
      windowStart === undefined ? 'windowStart' : 'windowEnd',
      undefined,
      'a calling window needs both its start and its end',
    );
  for (const day of days)
    if (!/^[0-6]$/.test(day)) throw new ApiRequestError('days', day, 'expected 0 (Sunday) to 6');
  let attempts: number | undefined;
  if (maxAttempts !== undefined) {
    attempts = Number(maxAttempts);
    if (!/^\d{1,2}$/.test(maxAttempts) || attempts < 1 || attempts > 20)
      throw new ApiRequestError('maxAttempts', maxAttempts, 'expected a whole number from 1 to 20');
  }
  const window =
    windowStart !== undefined && windowEnd !== undefined ? `${windowStart}-${windowEnd}` : undefined;
  return {
    ...(text.name !== undefined && { name: text.name }),
    ...(text.trunk !== undefined && { trunk: text.trunk }),
    ...(text.callerId !== undefined && { callerId: text.callerId }),
    ...(text.country !== undefined && { country: text.country }),
    ...(window !== undefined && { window }),
    // As the script does: days only go with a window.
    ...(window !== undefined && days.length > 0 && { days: days.join(',') }),
    ...(attempts !== undefined && { maxAttempts: attempts }),
    ...(text.column !== undefined && { column: text.column }),
    ...(paused && { paused: true }),
  };
}
