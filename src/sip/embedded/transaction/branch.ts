import { randomFillSync } from 'node:crypto';

/** RFC 3261 magic cookie: the branch marks a transaction id unique across space and time. */
export const BRANCH_COOKIE = 'z9hG4bK';

// A call takes six or more identifiers; one randomBytes() call each cost ~7% of the CPU of a call
// (bench/engine-calls.ts). Drawing them from a buffer refilled from the same CSPRNG keeps them
// cryptographically random (§19.3) at a fraction of the cost. Bytes are never handed out twice.
const pool = Buffer.alloc(4096);
let offset = pool.length;

function randomHex(bytes: number): string {
  if (offset + bytes > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const hex = pool.toString('hex', offset, offset + bytes);
  offset += bytes;
  return hex;
}

export function newBranch(): string {
  return BRANCH_COOKIE + randomHex(10);
}

export function newTag(): string {
  return randomHex(6);
}

export function newCallId(host: string): string {
  return `${randomHex(12)}@${host}`;
}
