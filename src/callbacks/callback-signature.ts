import { createHmac, timingSafeEqual } from 'node:crypto';

/** Header carrying `sha256=<hex>`: HMAC-SHA256 with the shared secret over `<timestamp>.<raw body>`. */
export const SIGNATURE_HEADER = 'x-dialer-signature';
/** Header carrying the send time in Unix seconds; it is inside the signed text, so it cannot be swapped. */
export const TIMESTAMP_HEADER = 'x-dialer-timestamp';
/** Header carrying the event type (`ringing`). */
export const EVENT_HEADER = 'x-dialer-event';
/** Header carrying the event id (`<jobId>/<sequence>`), the same on every retry. */
export const DELIVERY_HEADER = 'x-dialer-delivery';

/** `sha256=<hex>` for a body sent at `timestamp` (Unix seconds). */
export function signCallback(secret: string, timestamp: number, body: string | Buffer): string {
  const hmac = createHmac('sha256', secret);
  hmac.update(`${timestamp}.`);
  hmac.update(body);
  return `sha256=${hmac.digest('hex')}`;
}

export interface VerifyCallbackInput {
  readonly secret: string;
  /** The raw request body, exactly as received (before any JSON parsing). */
  readonly body: string | Buffer;
  /** The `X-Dialer-Timestamp` header. */
  readonly timestamp: string | undefined;
  /** The `X-Dialer-Signature` header. */
  readonly signature: string | undefined;
  /** Oldest accepted timestamp, seconds before `now`. Default: 300. */
  readonly toleranceSec?: number;
  /** Unix seconds. Default: the clock. */
  readonly now?: number;
}

/**
 * For receivers written in TypeScript: true when the signature matches the body and timestamp and
 * the timestamp is recent (a captured request replayed later fails). Compares in constant time.
 */
export function verifyCallbackSignature(input: VerifyCallbackInput): boolean {
  if (input.timestamp === undefined || input.signature === undefined) return false;
  if (!/^\d{1,12}$/.test(input.timestamp)) return false;
  const timestamp = Number(input.timestamp);
  const now = input.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - timestamp) > (input.toleranceSec ?? 300)) return false;
  const expected = Buffer.from(signCallback(input.secret, timestamp, input.body));
  const given = Buffer.from(input.signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
