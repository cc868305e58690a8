/**
 * The one status a job ends with:
 * `blocked` is set by compliance (DNC, calling hours), never by the carrier;
 * `unreachable` means the carrier or the network failed us, not the callee;
 * `failed` means our own fault (bad request, media error).
 */
export const FINAL_STATUSES = Object.freeze([
  'answered',
  // Answering-machine detection (amd on): a machine hung up on, or left a message.
  'machine',
  'voicemail-left',
  'busy',
  'no-answer',
  'declined',
  'invalid-number',
  'unreachable',
  'auth-failed',
  'blocked',
  'cancelled',
  'failed',
] as const);

export type FinalStatus = (typeof FINAL_STATUSES)[number];

export function isFinalStatus(value: unknown): value is FinalStatus {
  return typeof value === 'string' && (FINAL_STATUSES as readonly string[]).includes(value);
}
