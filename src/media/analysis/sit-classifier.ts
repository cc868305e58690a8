import type { ToneSegment } from './tone-segmenter.js';

/** What a special information tone says about the call. */
export type SitClass = 'intercept' | 'vacant' | 'no-circuit' | 'reorder' | 'unknown-sit';

/**
 * The Telcordia (GR-1162, ANSI T1.209) encodings: the first two segments are low or high in
 * frequency and short (274 ms) or long (380 ms); the third is always 1776.7 Hz. Key: the
 * durations of segments 1 and 2, then their frequencies (S/L, L/H).
 */
const ENCODINGS: Readonly<Record<string, { readonly code: string; readonly sit: SitClass }>> = {
  'SS/LL': { code: 'IC', sit: 'intercept' },
  'LS/HL': { code: 'VC', sit: 'vacant' },
  'LL/HH': { code: 'NC', sit: 'no-circuit' },
  'LL/LL': { code: 'NC2', sit: 'no-circuit' },
  'SL/HL': { code: 'RO', sit: 'reorder' },
  'SL/LH': { code: 'RO2', sit: 'reorder' },
  'LS/LH': { code: 'IO', sit: 'unknown-sit' },
  'SS/HH': { code: 'reserved', sit: 'unknown-sit' },
};

/** ITU-T E.180 bounds every SIT keeps: 950, 1400, 1800 Hz ±50 and 330 ±70 ms (kept wider here). */
const BANDS: readonly (readonly [number, number])[] = [
  [880, 1020],
  [1320, 1480],
  [1720, 1850],
];
/** Low and high of the first and second segments: 913.8/985.2 and 1370.6/1428.5 Hz. */
const LOW_HIGH_SPLIT = [949.5, 1399.5] as const;
/** Between 274 and 380 ms; the measured length gains up to a frame at silent edges. */
const SHORT_LONG_SPLIT_MS = 327;
const MIN_SEGMENT_MS = 150;
const MAX_SEGMENT_MS = 520;
/** E.180 allows 30 ms between segments; a frame of transition is lost in each. */
const MAX_GAP_MS = 70;

export interface SitMatch {
  readonly sit: SitClass;
  /** The encoding's name: IC, VC, NC, NC2, RO, RO2, IO, reserved, or `ITU` for an unencoded SIT. */
  readonly code: string;
  readonly atMs: number;
  readonly segments: readonly ToneSegment[];
}

/** Whether the last three segments are a SIT, and which. */
export function classifySit(segments: readonly ToneSegment[]): SitMatch | undefined {
  if (segments.length < 3) return undefined;
  const three = segments.slice(-3);
  for (let i = 0; i < 3; i++) {
    const s = three[i]!;
    const [lo, hi] = BANDS[i]!;
    const ms = s.endMs - s.startMs;
    if (s.frequencyHz < lo || s.frequencyHz > hi || ms < MIN_SEGMENT_MS || ms > MAX_SEGMENT_MS)
      return undefined;
    if (i > 0 && s.startMs - three[i - 1]!.endMs > MAX_GAP_MS) return undefined;
  }
  const duration = (s: ToneSegment): string => (s.endMs - s.startMs >= SHORT_LONG_SPLIT_MS ? 'L' : 'S');
  const height = (s: ToneSegment, i: 0 | 1): string => (s.frequencyHz >= LOW_HIGH_SPLIT[i] ? 'H' : 'L');
  const key = `${duration(three[0]!)}${duration(three[1]!)}/${height(three[0]!, 0)}${height(three[1]!, 1)}`;
  const found = ENCODINGS[key];
  return {
    sit: found?.sit ?? 'unknown-sit',
    code: found?.code ?? 'ITU',
    atMs: three[0]!.startMs,
    segments: three,
  };
}
