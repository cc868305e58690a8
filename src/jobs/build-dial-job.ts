import { customHeaderNameProblem, duplicateHeaderName } from '../kernel/index.js';
import type { NormalizedNumber } from '../numbers/index.js';
import type { AmdSetting } from './amd-setting.js';
import { callbackUrlProblem } from './callback-url-problem.js';
import type { z } from 'zod';
import { dialJobSchema, type CallScript, type DialJob } from './dial-job.js';
import { EnqueueError } from './enqueue-error.js';

/** A dial job's parts once the number is normalised and the trunk chosen. */
export interface DialJobParts {
  readonly number: NormalizedNumber;
  readonly trunk: string;
  readonly campaign?: string;
  readonly callerId?: string;
  /** Withhold the caller ID from the callee (anonymous From, `Privacy: id`); default: the campaign's. */
  readonly callerIdWithheld?: boolean;
  readonly ringTimeoutMs?: number;
  readonly maxCallLengthMs?: number;
  readonly maxAttempts?: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly script?: CallScript;
  /** Answering-machine detection for this job; without it the campaign's setting holds. */
  readonly amd?: AmdSetting;
  /** Opaque, returned in the outcome. At most 8 KiB as JSON. */
  readonly metadata?: Readonly<Record<string, unknown>>;
  readonly idempotencyKey?: string;
  readonly callbackUrl?: string;
  /** The import that stages the job; only its commit makes the job dialable. */
  readonly importId?: string;
  readonly enqueuedAt: number;
}

const MAX_METADATA_BYTES = 8192;

/**
 * The one place a DialJob is made, whichever edge it came from (a single call, a JSON list, a CSV
 * row): a rule added here holds for all of them.
 * @throws EnqueueError naming the field and the value.
 */
export function buildDialJob(parts: DialJobParts): DialJob {
  if (parts.callerId !== undefined) checkLine('callerId', parts.callerId, 64);
  checkHeaders(parts);
  checkRowParts(parts);
  if (parts.idempotencyKey !== undefined && !/^[A-Za-z0-9._-]{1,128}$/.test(parts.idempotencyKey)) {
    throw new EnqueueError(
      'idempotencyKey',
      parts.idempotencyKey,
      'may hold only letters, digits, . _ - (at most 128)',
    );
  }
  if (parts.callbackUrl !== undefined) {
    const problem = callbackUrlProblem(parts.callbackUrl);
    if (problem !== undefined) throw new EnqueueError('callbackUrl', parts.callbackUrl, problem);
  }
  return parseJob(candidateOf(parts), dialJobSchema);
}

/** What changes from one row of an import to the next. */
export type DialJobRow = Pick<DialJobParts, 'number' | 'metadata' | 'enqueuedAt'>;

/**
 * Many jobs that differ only by number, metadata and time (an import's rows), by the same rules
 * as `buildDialJob`: the first job is built whole, then each row has only the parts that change
 * checked, against the same schema's fields, so the fixed parts are not checked again per row.
 * @throws EnqueueError naming the field and the value.
 */
export function dialJobFactory(fixed: Omit<DialJobParts, keyof DialJobRow>): (row: DialJobRow) => DialJob {
  let proven = false;
  return (row) => {
    if (!proven) {
      const job = buildDialJob({ ...fixed, ...row });
      proven = true;
      return job;
    }
    checkRowParts(row);
    const candidate = candidateOf({ ...fixed, ...row });
    const varying = parseJob(
      {
        number: candidate['number'],
        ...(candidate['country'] !== undefined && { country: candidate['country'] }),
        ...(candidate['metadata'] !== undefined && { metadata: candidate['metadata'] }),
        enqueuedAt: candidate['enqueuedAt'],
      },
      ROW_FIELDS,
    );
    // The rest of the candidate is the fixed part the first job proved.
    return { ...candidate, ...varying } as DialJob;
  };
}

/** The fields of a dial job that vary by row; the others were proven by the first job. */
const ROW_FIELDS = dialJobSchema.pick({ number: true, country: true, metadata: true, enqueuedAt: true });

function parseJob<T>(candidate: Record<string, unknown>, schema: z.ZodType<T>): T {
  const parsed = schema.safeParse(candidate);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') || 'input';
    const value = issue?.path.reduce<unknown>(
      (v, k) => (v as Record<string | number, unknown> | undefined)?.[k as string],
      candidate,
    );
    throw new EnqueueError(field, value, issue?.message ?? 'invalid');
  }
  return parsed.data;
}

function checkHeaders(parts: DialJobParts): void {
  for (const [name, value] of Object.entries(parts.headers ?? {})) {
    const problem = customHeaderNameProblem(name);
    if (problem !== undefined) throw new EnqueueError(`headers.${name}`, name, problem);
    checkLine(`headers.${name}`, value, 1024);
  }
  const duplicate = duplicateHeaderName(Object.keys(parts.headers ?? {}));
  if (duplicate)
    throw new EnqueueError(
      `headers.${duplicate.name}`,
      duplicate.name,
      `is the same header as ${duplicate.sameAs}: name it once`,
    );
}

function checkRowParts(parts: Pick<DialJobParts, 'metadata'>): void {
  if (parts.metadata !== undefined) {
    checkMetadata(parts.metadata, 'metadata', 0);
    let json: string;
    try {
      json = JSON.stringify(parts.metadata);
    } catch (error) {
      throw new EnqueueError('metadata', '[unserialisable]', `must be JSON: ${(error as Error).message}`);
    }
    if (Buffer.byteLength(json) > MAX_METADATA_BYTES)
      throw new EnqueueError(
        'metadata',
        `${Buffer.byteLength(json)} bytes`,
        `must be at most ${MAX_METADATA_BYTES} bytes as JSON`,
      );
  }
}

function candidateOf(parts: DialJobParts): Record<string, unknown> {
  const candidate = {
    v: 1 as const,
    number: parts.number.e164,
    ...(parts.number.country ? { country: parts.number.country } : {}),
    trunk: parts.trunk,
    ...(parts.campaign !== undefined ? { campaign: parts.campaign } : {}),
    ...(parts.callerId !== undefined ? { callerId: parts.callerId } : {}),
    ...(parts.callerIdWithheld !== undefined ? { callerIdWithheld: parts.callerIdWithheld } : {}),
    ...(parts.ringTimeoutMs !== undefined ? { ringTimeoutMs: parts.ringTimeoutMs } : {}),
    ...(parts.maxCallLengthMs !== undefined ? { maxCallLengthMs: parts.maxCallLengthMs } : {}),
    ...(parts.maxAttempts !== undefined ? { maxAttempts: parts.maxAttempts } : {}),
    ...(parts.headers !== undefined ? { headers: { ...parts.headers } } : {}),
    ...(parts.script !== undefined ? { script: parts.script } : {}),
    ...(parts.amd !== undefined ? { amd: parts.amd } : {}),
    ...(parts.metadata !== undefined ? { metadata: { ...parts.metadata } } : {}),
    ...(parts.idempotencyKey !== undefined ? { idempotencyKey: parts.idempotencyKey } : {}),
    ...(parts.callbackUrl !== undefined ? { callbackUrl: parts.callbackUrl } : {}),
    ...(parts.importId !== undefined ? { importId: parts.importId } : {}),
    enqueuedAt: parts.enqueuedAt,
  };
  return candidate;
}

function checkLine(field: string, value: unknown, max: number): void {
  if (typeof value !== 'string') throw new EnqueueError(field, value, 'must be a string');
  if (/[\r\n\0]/.test(value)) throw new EnqueueError(field, value, 'must not contain CR, LF or NUL');
  if (value.length > max)
    throw new EnqueueError(field, `${value.length} characters`, `must be at most ${max} characters`);
}

/**
 * Metadata is opaque and never put in a SIP message, but it flows on into outcomes, CSV exports,
 * status callbacks and log lines of other systems: CR, LF and NUL are refused there as in every
 * other field, so no consumer downstream has to guess. Keys are checked as well as values.
 */
function checkMetadata(value: unknown, field: string, depth: number): void {
  if (depth > 32) throw new EnqueueError(field, '[deeper than 32 levels]', 'is nested too deeply');
  if (typeof value === 'string') {
    if (/[\r\n\0]/.test(value))
      throw new EnqueueError(field, value.slice(0, 64), 'must not contain CR, LF or NUL');
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  for (const [key, inner] of Object.entries(value)) {
    if (/[\r\n\0]/.test(key))
      throw new EnqueueError(field, key.slice(0, 64), 'keys must not contain CR, LF or NUL');
    checkMetadata(inner, `${field}.${key}`, depth + 1);
  }
}
