/**
 * Answering-machine detection for a job or a campaign: off when absent or `false`, on with the
 * analyzer's defaults for `true`, on with some of its timings changed for an object. The object's
 * keys are the analyzer's option names (src/media/analysis/call-progress-defaults.ts); jobs may
 * not import media, so the names are listed here and test/unit/jobs/amd-setting.test.ts checks
 * that they are exactly the analyzer's and that every value this rule accepts the analyzer accepts.
 */
export type AmdSetting = boolean | AmdTimings;

export interface AmdTimings {
  readonly initialSilenceMs?: number;
  readonly greetingMs?: number;
  readonly afterGreetingSilenceMs?: number;
  readonly afterLongGreetingSilenceMs?: number;
  readonly shortGreetingMs?: number;
  readonly totalAnalysisMs?: number;
  readonly minWordMs?: number;
  readonly betweenWordsSilenceMs?: number;
  readonly maxWords?: number;
  readonly maxWordMs?: number;
  readonly silenceThreshold?: number;
  readonly voiceMarginDb?: number;
  readonly initialSilenceResult?: 'machine' | 'unknown';
  readonly beepWindowMs?: number;
  readonly minBeepMs?: number;
  readonly maxBeepMs?: number;
  readonly beepMinHz?: number;
  readonly beepMaxHz?: number;
  readonly beepQuietAfterMs?: number;
}

/** An integer range per numeric option: wide enough for any tuning, narrow enough to catch typos. */
const NUMERIC_RANGES: Readonly<
  Record<Exclude<keyof AmdTimings, 'initialSilenceResult'>, readonly [number, number]>
> = {
  initialSilenceMs: [0, 60_000],
  greetingMs: [0, 60_000],
  afterGreetingSilenceMs: [0, 60_000],
  afterLongGreetingSilenceMs: [0, 60_000],
  shortGreetingMs: [0, 60_000],
  totalAnalysisMs: [100, 120_000],
  minWordMs: [0, 60_000],
  betweenWordsSilenceMs: [0, 60_000],
  maxWords: [1, 100],
  maxWordMs: [0, 60_000],
  silenceThreshold: [0, 32_767],
  voiceMarginDb: [0, 60],
  beepWindowMs: [0, 300_000],
  minBeepMs: [0, 60_000],
  maxBeepMs: [0, 60_000],
  beepMinHz: [0, 4000],
  beepMaxHz: [0, 4000],
  beepQuietAfterMs: [0, 60_000],
};

export const AMD_OPTION_NAMES: readonly (keyof AmdTimings)[] = Object.freeze([
  ...(Object.keys(NUMERIC_RANGES) as (keyof AmdTimings)[]),
  'initialSilenceResult',
]);

/**
 * What is wrong with an `amd` value, as `{ field, reason }` (field relative to `amd`, empty for
 * the value itself), or undefined when it is valid. The one rule for jobs and campaigns alike.
 */
export function amdSettingProblem(value: unknown): { field: string; reason: string } | undefined {
  if (typeof value === 'boolean') return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { field: '', reason: 'expected true, false or an object of analyzer timings' };
  }
  const record = value as Record<string, unknown>;
  for (const [key, v] of Object.entries(record)) {
    if (key === 'initialSilenceResult') {
      if (v !== 'machine' && v !== 'unknown') return { field: key, reason: 'expected machine or unknown' };
      continue;
    }
    const range = (NUMERIC_RANGES as Record<string, readonly [number, number] | undefined>)[key];
    if (range === undefined) {
      return { field: key, reason: `unknown option (known: ${AMD_OPTION_NAMES.join(', ')})` };
    }
    const [min, max] = range;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      return { field: key, reason: `expected an integer from ${min} to ${max}` };
    }
  }
  const lo = record['beepMinHz'] ?? BEEP_BAND_DEFAULT[0];
  const hi = record['beepMaxHz'] ?? BEEP_BAND_DEFAULT[1];
  if ((lo as number) >= (hi as number)) {
    const field = record['beepMaxHz'] !== undefined ? 'beepMaxHz' : 'beepMinHz';
    return { field, reason: `beepMinHz (${String(lo)}) must be below beepMaxHz (${String(hi)})` };
  }
  return undefined;
}

/**
 * The analyzer's default beep band, needed here only to check a setting that moves one edge of
 * it; the unit test holds it equal to the analyzer's.
 */
export const BEEP_BAND_DEFAULT: readonly [number, number] = [300, 2500];

/** The analyzer timings of a setting, or undefined when detection is off. */
export function amdTimingsOf(setting: AmdSetting | undefined): AmdTimings | undefined {
  if (setting === undefined || setting === false) return undefined;
  return setting === true ? {} : setting;
}
