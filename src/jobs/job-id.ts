import { randomUUID } from 'node:crypto';
import { NAME_PATTERN } from '../kernel/index.js';
import { JobIdError } from './job-id-error.js';

export interface JobIdInput {
  readonly campaign?: string;
  /** Required with `campaign`. */
  readonly e164?: string;
  readonly idempotencyKey?: string;
}

const E164 = /^\+[1-9][0-9]{6,14}$/;
const IDEMPOTENCY_KEY = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * The BullMQ job id of a call. BullMQ refuses ids containing `:` and integer-like ids, and treats
 * re-adding an existing id as a no-op, which is what makes enqueueing idempotent:
 * - a campaign call: `<campaign>~<e164>`, so importing the same list twice dials each number once;
 *   this wins over an idempotency key, so a number is never dialled twice in one campaign;
 * - an idempotency key: `k~<key>`;
 * - otherwise a fresh `u~<uuid>`.
 * The `~` keeps every id non-numeric; campaign names cannot contain it and keys cannot contain `+`,
 * so the three families never collide.
 * @throws JobIdError naming the field for a bad campaign name, number or key.
 */
export function jobIdFor(input: JobIdInput): string {
  const { campaign, e164, idempotencyKey } = input;
  if (campaign !== undefined) {
    if (typeof campaign !== 'string' || !NAME_PATTERN.test(campaign)) {
      throw new JobIdError('campaign', campaign, `expected a name matching ${NAME_PATTERN}`);
    }
    if (typeof e164 !== 'string' || !E164.test(e164)) {
      throw new JobIdError('e164', e164, 'a campaign job id needs the E.164 number');
    }
    return `${campaign}~${e164}`;
  }
  if (idempotencyKey !== undefined) {
    if (typeof idempotencyKey !== 'string' || !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw new JobIdError('idempotencyKey', idempotencyKey, 'expected 1 to 128 of A-Z a-z 0-9 . _ -');
    }
    return `k~${idempotencyKey}`;
  }
  return `u~${randomUUID()}`;
}
