/**
 * When to send the next REGISTER for a granted expiry: a minute early for long bindings, at half
 * time for short ones, so one lost refresh still leaves time for a retransmitted one.
 */
export function registrationRefreshMs(grantedSec: number): number {
  if (grantedSec >= 120) return (grantedSec - 60) * 1000;
  return Math.max(grantedSec * 500, 500);
}

/** Back-off after a failed REGISTER: doubling from `baseMs`, capped, ±20 % jitter, never before Retry-After. */
export function registrationRetryMs(
  failures: number,
  baseMs: number,
  maxMs: number,
  retryAfterMs?: number,
  random = Math.random,
): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, failures - 1));
  const jittered = exp * (0.8 + 0.4 * random());
  return Math.max(jittered, retryAfterMs ?? 0);
}
