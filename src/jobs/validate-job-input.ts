import { customHeaderNameProblem, duplicateHeaderName } from '../kernel/index.js';
import { normalizeNumber } from '../numbers/index.js';
import type { NormalizedNumber } from '../numbers/index.js';
import type { CountryCode } from 'libphonenumber-js/max';
import { NAME_PATTERN } from '../kernel/index.js';
import { dialJobSchema, type CallScript, type DialJob } from './dial-job.js';
import { callbackUrlProblem } from './callback-url-problem.js';
import { EnqueueError } from './enqueue-error.js';
import type { TrunkInfo } from './trunk-directory.js';

/** What a producer asks for. Everything but `number` is optional. */
export interface EnqueueCallInput {
  /** As written by a person: `+55 34 98414-9880`, `(034) 98414-9880` with a default country, … */
  readonly number: string;
  /** Default: the only trunk, when the fleet serves one. */
  readonly trunk?: string;
  readonly campaign?: string;
  /** Country for numbers written without a country code. Default: the trunk's. */
  readonly defaultCountry?: string;
  readonly callerId?: string;
  readonly ringTimeoutMs?: number;
  readonly maxCallLengthMs?: number;
  readonly maxAttempts?: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly script?: CallScript;
  /** Opaque, returned in the outcome. At most 8 KiB as JSON. */
  readonly metadata?: Readonly<Record<string, unknown>>;
  /** Same key, same job: enqueueing twice never dials twice. */
  readonly idempotencyKey?: string;
  /** http(s) URL that receives this call's status events (initiated, ringing, answered, completed). */
  readonly callbackUrl?: string;
}

const MAX_METADATA_BYTES = 8192;

/** Turns producer input into a valid DialJob, or throws an error naming the field. */
export function validateJobInput(
  input: EnqueueCallInput,
  trunks: ReadonlyMap<string, TrunkInfo>,
  now = Date.now(),
): { job: DialJob; normalized: NormalizedNumber } {
  if (typeof input !== 'object' || input === null)
    throw new EnqueueError('input', input, 'must be an object');
  const trunkName = input.trunk ?? (trunks.size === 1 ? [...trunks.keys()][0] : undefined);
  if (trunkName === undefined) {
    throw new EnqueueError(
      'trunk',
      input.trunk,
      trunks.size === 0
        ? 'no trunk is published yet: start a worker, or pass trunks to the client'
        : `required when several trunks exist (${[...trunks.keys()].join(', ')})`,
    );
  }
  const trunk = trunks.get(trunkName);
  if (!trunk)
    throw new EnqueueError(
      'trunk',
      trunkName,
      `unknown trunk (known: ${[...trunks.keys()].join(', ') || 'none'})`,
    );
  if (input.campaign !== undefined && !NAME_PATTERN.test(input.campaign)) {
    throw new EnqueueError('campaign', input.campaign, 'must match [a-z0-9][a-z0-9_-]{0,63}');
  }
  const country = (input.defaultCountry ?? trunk.defaultCountry) as CountryCode | undefined;
  const normalized = normalizeNumber(String(input.number), {
    ...(country ? { defaultCountry: country } : {}),
    field: 'number',
  });
  if (input.callerId !== undefined) checkLine('callerId', input.callerId, 64);
  for (const [name, value] of Object.entries(input.headers ?? {})) {
    const problem = customHeaderNameProblem(name);
    if (problem !== undefined) throw new EnqueueError(`headers.${name}`, name, problem);
    checkLine(`headers.${name}`, value, 1024);
  }
  const duplicate = duplicateHeaderName(Object.keys(input.headers ?? {}));
  if (duplicate)
    throw new EnqueueError(
      `headers.${duplicate.name}`,
      duplicate.name,
      `is the same header as ${duplicate.sameAs}: name it once`,
    );
  if (input.metadata !== undefined) {
    checkMetadata(input.metadata, 'metadata', 0);
    let json: string;
    try {
      json = JSON.stringify(input.metadata);
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
  if (input.idempotencyKey !== undefined && !/^[A-Za-z0-9._-]{1,128}$/.test(input.idempotencyKey)) {
    throw new EnqueueError(
      'idempotencyKey',
      input.idempotencyKey,
      'may hold only letters, digits, . _ - (at most 128)',
    );
  }
  if (input.callbackUrl !== undefined) {
    const problem = callbackUrlProblem(input.callbackUrl);
    if (problem !== undefined) throw new EnqueueError('callbackUrl', input.callbackUrl, problem);
  }
  const candidate = {
    v: 1 as const,
    number: normalized.e164,
    ...(normalized.country ? { country: normalized.country } : {}),
    trunk: trunkName,
    ...(input.campaign !== undefined ? { campaign: input.campaign } : {}),
    ...(input.callerId !== undefined ? { callerId: input.callerId } : {}),
    ...(input.ringTimeoutMs !== undefined ? { ringTimeoutMs: input.ringTimeoutMs } : {}),
    ...(input.maxCallLengthMs !== undefined ? { maxCallLengthMs: input.maxCallLengthMs } : {}),
    ...(input.maxAttempts !== undefined ? { maxAttempts: input.maxAttempts } : {}),
    ...(input.headers !== undefined ? { headers: { ...input.headers } } : {}),
    ...(input.script !== undefined ? { script: input.script } : {}),
    ...(input.metadata !== undefined ? { metadata: { ...input.metadata } } : {}),
    ...(input.idempotencyKey !== undefined ? { idempotencyKey: input.idempotencyKey } : {}),
    ...(input.callbackUrl !== undefined ? { callbackUrl: input.callbackUrl } : {}),
    enqueuedAt: now,
  };
  const parsed = dialJobSchema.safeParse(candidate);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') || 'input';
    const value = issue?.path.reduce<unknown>(
      (v, k) => (v as Record<string | number, unknown> | undefined)?.[k as string],
      candidate,
    );
    throw new EnqueueError(field, value, issue?.message ?? 'invalid');
  }
  return { job: parsed.data, normalized };
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
