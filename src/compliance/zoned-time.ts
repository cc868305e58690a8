/** A wall-clock reading in some time zone. `weekday` is 0 (Sunday) to 6. */
export interface WallTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly weekday: number;
}

const DAY_MS = 86_400_000;

// Building a DateTimeFormat costs far more than using one, and a worker asks about the same few zones.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True when this runtime's ICU knows the IANA zone (aliases such as `Asia/Calcutta` included). */
export function isValidTimeZone(timeZone: string): boolean {
  if (typeof timeZone !== 'string' || timeZone === '') return false;
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The wall clock in `timeZone` at `instant` (ms since the epoch). */
export function wallTime(instant: number, timeZone: string): WallTime {
  const fields: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(instant)) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  const year = fields['year'] ?? 1970;
  const month = fields['month'] ?? 1;
  const day = fields['day'] ?? 1;
  return {
    year,
    month,
    day,
    hour: fields['hour'] ?? 0,
    minute: fields['minute'] ?? 0,
    second: fields['second'] ?? 0,
    weekday: new Date(Date.UTC(year, month - 1, day)).getUTCDay(),
  };
}

/** The wall clock at `instant`, written as if it were a UTC instant: subtracting gives the zone offset. */
function wallAsUtc(instant: number, timeZone: string): number {
  const w = wallTime(instant, timeZone);
  const subSecond = ((instant % 1000) + 1000) % 1000;
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) + subSecond;
}

/**
 * The first instant after `after` at which the wall clock in `timeZone` reads `wall` (a wall time
 * written as a UTC ms value, e.g. `Date.UTC(2026, 2, 8, 2, 30)`), or when that reading does not
 * exist that day because the clocks jump over it (spring forward), the instant of the jump: the
 * first moment the wall clock is past it. When the reading happens twice (fall back), the earlier
 * one that is still after `after`. `undefined` when every such instant is at or before `after`.
 */
export function instantOfWallTime(wall: number, timeZone: string, after: number): number | undefined {
  // Offsets a day either side bracket any single transition near the target; zones change at most
  // twice a year, so one transition is all there can be in that span.
  const offsets = new Set([wall - DAY_MS, wall, wall + DAY_MS].map((t) => wallAsUtc(t, timeZone) - t));
  const candidates = [...offsets]
    .map((offset) => wall - offset)
    .filter((t) => wallAsUtc(t, timeZone) === wall)
    .sort((a, b) => a - b);
  if (candidates.length > 0) return candidates.find((t) => t > after);

  // A gap: binary search for the jump between the instant read with the later offset (before the
  // jump, reads earlier than `wall`) and the one read with the earlier offset (after it, reads later).
  let lo = Math.min(...[...offsets].map((o) => wall - o));
  let hi = Math.max(...[...offsets].map((o) => wall - o));
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (wallAsUtc(mid, timeZone) >= wall) hi = mid;
    else lo = mid;
  }
  return hi > after ? hi : undefined;
}
