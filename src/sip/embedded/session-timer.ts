/** What the 2xx (or a refresh) said about RFC 4028 session timers. */
export interface SessionTimerTerms {
  /** Session interval, seconds. */
  readonly intervalSec: number;
  /** True when we must send the refreshes; false when the peer does and we watch. */
  readonly weRefresh: boolean;
}

/**
 * Reads `Session-Expires: 1800;refresher=uac` from a response to our request (`weAreUac` true) or
 * from a request the peer sent us (false). No header means no session timer.
 */
export function readSessionTimer(
  headerValue: string | undefined,
  weAreUac: boolean,
): SessionTimerTerms | undefined {
  if (headerValue === undefined) return undefined;
  const match = /^\s*(\d{1,9})\s*(.*)$/.exec(headerValue);
  if (!match?.[1]) return undefined;
  const intervalSec = Number(match[1]);
  if (intervalSec < 1) return undefined;
  const refresher = /;\s*refresher\s*=\s*(uac|uas)/i.exec(match[2] ?? '')?.[1]?.toLowerCase();
  // No refresher= : in a 2xx the UAC refreshes (§7.2); in a request we answer refresher=uac.
  const uacRefreshes = refresher === undefined || refresher === 'uac';
  return { intervalSec, weRefresh: weAreUac ? uacRefreshes : !uacRefreshes };
}

/** When to refresh (half the interval, §10) and when to give up on a silent peer (§10: SE − min(32, SE/3)). */
export function sessionTimerSchedule(terms: SessionTimerTerms): { refreshInMs: number; expireInMs: number } {
  const se = terms.intervalSec;
  return { refreshInMs: (se * 1000) / 2, expireInMs: (se - Math.min(32, se / 3)) * 1000 };
}
