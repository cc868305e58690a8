import { normalizeNumber } from '../numbers/index.js';
import type { NormalizedNumber } from '../numbers/index.js';
import type { CountryCode } from 'libphonenumber-js/max';
import { NAME_PATTERN } from '../kernel/index.js';
import { buildDialJob, type DialJobParts } from './build-dial-job.js';
import { callerIdAllowedProblem } from './caller-id-allowed-problem.js';
import type { DialJob } from './dial-job.js';
import { EnqueueError } from './enqueue-error.js';
import type { TrunkInfo } from './trunk-directory.js';

/**
 * What a producer asks for: the dial job's own parts (documented on DialJobParts), with the number
 * as a person writes it and the trunk optional. Everything but `number` is optional; `importId`
 * belongs to imports, never to a producer.
 */
export interface EnqueueCallInput extends Omit<DialJobParts, 'number' | 'trunk' | 'importId' | 'enqueuedAt'> {
  /** As written by a person: `+55 34 98414-9880`, `(034) 98414-9880` with a default country, … */
  readonly number: string;
  /** Default: the only trunk, when the fleet serves one. */
  readonly trunk?: string;
  /** Country for numbers written without a country code. Default: the trunk's. */
  readonly defaultCountry?: string;
}

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
  if (typeof input.callerId === 'string') {
    const problem = callerIdAllowedProblem(input.callerId, trunk);
    if (problem !== undefined) throw new EnqueueError('callerId', input.callerId, problem);
  }
  const country = (input.defaultCountry ?? trunk.defaultCountry) as CountryCode | undefined;
  const normalized = normalizeNumber(String(input.number), {
    ...(country ? { defaultCountry: country } : {}),
    field: 'number',
  });
  return {
    // Field by field, not a spread: input from the network may carry keys of its own.
    job: buildDialJob({
      number: normalized,
      trunk: trunkName,
      ...(input.campaign !== undefined ? { campaign: input.campaign } : {}),
      ...(input.callerId !== undefined ? { callerId: input.callerId } : {}),
      ...(input.callerIdWithheld !== undefined ? { callerIdWithheld: input.callerIdWithheld } : {}),
      ...(input.ringTimeoutMs !== undefined ? { ringTimeoutMs: input.ringTimeoutMs } : {}),
      ...(input.maxCallLengthMs !== undefined ? { maxCallLengthMs: input.maxCallLengthMs } : {}),
      ...(input.maxAttempts !== undefined ? { maxAttempts: input.maxAttempts } : {}),
      ...(input.headers !== undefined ? { headers: input.headers } : {}),
      ...(input.script !== undefined ? { script: input.script } : {}),
      ...(input.amd !== undefined ? { amd: input.amd } : {}),
      ...(input.metadata !== undefined ? { metadata: input.metadata } : {}),
      ...(input.idempotencyKey !== undefined ? { idempotencyKey: input.idempotencyKey } : {}),
      ...(input.callbackUrl !== undefined ? { callbackUrl: input.callbackUrl } : {}),
      enqueuedAt: now,
    }),
    normalized,
  };
}
