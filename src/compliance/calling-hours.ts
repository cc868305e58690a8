import { InvalidCallingWindowError } from './invalid-calling-window-error.js';
import { timeZoneForCountry } from './time-zone-for-country.js';
import { instantOfWallTime, isValidTimeZone, wallTime } from './zoned-time.js';

/**
 * When a campaign may ring people, in the callee's local time.
 * `end` before `start` is a window crossing midnight (`22:00`–`02:00`); it belongs to the day it
 * opens, so `days: [5]` with `22:00`–`02:00` means Friday 22:00 to Saturday 02:00. `end` may be
 * `24:00`; `00:00`–`24:00` is the whole day. `start` is inclusive, `end` exclusive.
 */
export interface CallingWindow {
  /** Days the window opens, 0 = Sunday … 6 = Saturday. Default: every day (local law varies too much to guess). */
  readonly days?: readonly number[];
  /** `HH:MM`, 24-hour. */
  readonly start: string;
  /** `HH:MM`, 24-hour, or `24:00`. */
  readonly end: string;
  /** IANA zone. Overrides the zone of the callee's country. */
  readonly timeZone?: string;
}

export type CallingDecision = { readonly allowed: true } | { readonly allowed: false; readonly at: number };

const HH_MM = /^([01][0-9]|2[0-3]):([0-5][0-9])$/;
const ALL_DAYS = Object.freeze([0, 1, 2, 3, 4, 5, 6]);
const MINUTE_MS = 60_000;
const DAY_MINUTES = 24 * 60;

interface ParsedWindow {
  readonly days: ReadonlySet<number>;
  readonly start: number;
  readonly end: number;
}

function minutesOf(field: string, value: unknown, allowMidnightEnd: boolean): number {
  if (allowMidnightEnd && value === '24:00') return DAY_MINUTES;
  const m = typeof value === 'string' ? HH_MM.exec(value) : null;
  if (m === null) throw new InvalidCallingWindowError(field, value, 'expected HH:MM (00:00 to 23:59)');
  return Number(m[1]) * 60 + Number(m[2]);
}

function parseWindow(window: CallingWindow, field: string): ParsedWindow {
  if (typeof window !== 'object' || window === null) {
    throw new InvalidCallingWindowError(field, window, 'expected { start, end, days?, timeZone? }');
  }
  const start = minutesOf(`${field}.start`, window.start, false);
  const end = minutesOf(`${field}.end`, window.end, true);
  if (start === end) {
    throw new InvalidCallingWindowError(
      `${field}.end`,
      window.end,
      'equals start; use 00:00-24:00 for the whole day',
    );
  }
  const days = window.days ?? ALL_DAYS;
  if (
    !Array.isArray(days) ||
    days.length === 0 ||
    days.some((d) => !Number.isInteger(d) || d < 0 || d > 6) ||
    new Set(days).size !== days.length
  ) {
    throw new InvalidCallingWindowError(
      `${field}.days`,
      window.days,
      'expected distinct days 0 (Sunday) to 6, at least one',
    );
  }
  if (window.timeZone !== undefined && !isValidTimeZone(window.timeZone)) {
    throw new InvalidCallingWindowError(
      `${field}.timeZone`,
      window.timeZone,
      'not an IANA time zone known here',
    );
  }
  return { days: new Set(days), start, end };
}

/**
 * Checks a window and returns it unchanged.
 * @throws InvalidCallingWindowError naming the field (`window.start`, `window.days`…) and the value.
 */
export function validateCallingWindow(window: CallingWindow, field = 'window'): CallingWindow {
  parseWindow(window, field);
  return window;
}

/** @throws InvalidCallingWindowError when `timeZone` is not a zone this runtime knows. */
export function validateTimeZone(timeZone: string, field = 'timeZone'): string {
  if (!isValidTimeZone(timeZone)) {
    throw new InvalidCallingWindowError(field, timeZone, 'not an IANA time zone known here');
  }
  return timeZone;
}

/**
 * The zone a call's window is read in: the window's own zone, else the campaign's, else the zone of
 * the callee's country, else UTC (non-geographic numbers such as +800 have no country).
 */
export function callingTimeZone(input: {
  readonly window?: CallingWindow;
  readonly timeZone?: string;
  readonly country?: string;
}): string {
  return (
    input.window?.timeZone ??
    input.timeZone ??
    (input.country === undefined ? undefined : timeZoneForCountry(input.country)) ??
    'UTC'
  );
}

/**
 * Whether a call may start at `now` (ms since the epoch) in `timeZone`, and if not, the instant the
 * window next opens. Reads the wall clock through Intl, so DST is the zone's own: a window opening
 * inside a spring-forward gap opens at the jump; a fall-back hour read twice opens at its first
 * reading still ahead. Pure: the caller injects `now`.
 * @throws InvalidCallingWindowError for a bad window or zone.
 */
export function nextCallingTime(now: number, window: CallingWindow, timeZone: string): CallingDecision {
  const w = parseWindow(window, 'window');
  validateTimeZone(timeZone);

  const local = wallTime(now, timeZone);
  const minute = local.hour * 60 + local.minute;
  const today = local.weekday;
  const yesterday = (today + 6) % 7;
  if (w.start < w.end) {
    if (w.days.has(today) && minute >= w.start && minute < w.end) return { allowed: true };
  } else {
    if (w.days.has(today) && minute >= w.start) return { allowed: true };
    if (w.days.has(yesterday) && minute < w.end) return { allowed: true };
  }

  // Eight days reach the same weekday again even when today's opening has passed.
  for (let ahead = 0; ahead <= 8; ahead++) {
    const date = Date.UTC(local.year, local.month - 1, local.day + ahead);
    if (!w.days.has(new Date(date).getUTCDay())) continue;
    const at = instantOfWallTime(date + w.start * MINUTE_MS, timeZone, now);
    if (at !== undefined) return { allowed: false, at };
  }
  // Unreachable with at least one day, which parseWindow guarantees.
  throw new InvalidCallingWindowError('window.days', window.days, 'the window never opens');
}
