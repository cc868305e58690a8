import { randomBytes } from 'node:crypto';

/** RFC 3261 magic cookie: the branch marks a transaction id unique across space and time. */
export const BRANCH_COOKIE = 'z9hG4bK';

export function newBranch(): string {
  return BRANCH_COOKIE + randomBytes(10).toString('hex');
}

export function newTag(): string {
  return randomBytes(6).toString('hex');
}

export function newCallId(host: string): string {
  return `${randomBytes(12).toString('hex')}@${host}`;
}
