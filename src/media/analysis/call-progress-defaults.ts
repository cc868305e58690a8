import { CallProgressOptionsError } from './call-progress-options-error.js';

/**
 * Every knob of the analyzer, in milliseconds unless named otherwise. The cadence timings start
 * from Asterisk app_amd's defaults; where bench/amd-accuracy.ts measured a better value on the
 * training split (and it held on the held-out split), the better one is the default and the
 * app_amd value is named beside it.
 */
export interface CallProgressOptions {
  /** Silence from the start with no word: the analysis gives up with `initial-silence`. app_amd 2500. */
  readonly initialSilenceMs: number;
  /** Voice in the greeting longer than this is a machine (`long-greeting`). app_amd 1500. */
  readonly greetingMs: number;
  /** Silence after a short greeting that makes it a person. app_amd 800. */
  readonly afterGreetingSilenceMs: number;
  /**
   * The silence that makes a person of a greeting with `shortGreetingMs` of voice or more. A
   * "Hello?" followed by silence is a person at once; a longer greeting followed by a pause is
   * as often a machine drawing breath between sentences. Not in app_amd (it is
   * `afterGreetingSilenceMs` there for every greeting).
   */
  readonly afterLongGreetingSilenceMs: number;
  /** Voice under which a greeting is short. */
  readonly shortGreetingMs: number;
  /** The whole analysis; then `unknown` with `max-analysis-time`. app_amd 5000. */
  readonly totalAnalysisMs: number;
  /** Voice shorter than this is not a word. app_amd 100. */
  readonly minWordMs: number;
  /** Silence that separates two words. app_amd 50. */
  readonly betweenWordsSilenceMs: number;
  /** This many words is a machine (`max-words`). app_amd 2 (its test is `words >= max`). */
  readonly maxWords: number;
  /** One word longer than this is a machine (`max-word-length`). app_amd 5000. */
  readonly maxWordMs: number;
  /**
   * Mean absolute sample value under which a frame is never voice (app_amd's only voice test,
   * 256). Ours also needs the frame to stand out from the noise floor it tracks.
   */
  readonly silenceThreshold: number;
  /** dB a frame must rise above the tracked noise floor to be voice. */
  readonly voiceMarginDb: number;
  /** What a call with no word before `initialSilenceMs` is. app_amd says machine. */
  readonly initialSilenceResult: 'machine' | 'unknown';
  /** How long after the start a beep is still looked for, after the decision too. */
  readonly beepWindowMs: number;
  /** Shortest steady single tone that is a beep. */
  readonly minBeepMs: number;
  /** Longest one (a fax answer tone or a held tone is not a beep). */
  readonly maxBeepMs: number;
  /** Frequency band of a beep, Hz. */
  readonly beepMinHz: number;
  readonly beepMaxHz: number;
  /** How long the line must stay free of tone after a beep before it is reported. */
  readonly beepQuietAfterMs: number;
}

export const CALL_PROGRESS_DEFAULTS: Readonly<CallProgressOptions> = Object.freeze({
  initialSilenceMs: 2500,
  greetingMs: 1500,
  // app_amd 800: 450 after a short greeting decides people 350 ms sooner (the after-greeting
  // silence was the largest part of a person's decision time), 700 after a longer one keeps
  // machines that pause between sentences machines. Measured on the training split; the values
  // around these (±50 ms, ±200 ms of shortGreetingMs) measured within a point.
  afterGreetingSilenceMs: 450,
  afterLongGreetingSilenceMs: 700,
  shortGreetingMs: 800,
  totalAnalysisMs: 5000,
  minWordMs: 100,
  betweenWordsSilenceMs: 50,
  // app_amd 2 (a machine at the second word) classed "Yes, who is this?" and "Oui, allô?" as
  // machines: 41 % of the people in the training split. Greeting length decides instead.
  maxWords: 6,
  maxWordMs: 5000,
  silenceThreshold: 256,
  // 3 dB keeps the quiet ends of words at 10 dB SNR, where 6 split greetings into "short
  // greeting, then silence" and made machines people; steady noise still stays silence.
  voiceMarginDb: 3,
  initialSilenceResult: 'unknown',
  beepWindowMs: 30_000,
  minBeepMs: 120,
  maxBeepMs: 4000,
  beepMinHz: 300,
  beepMaxHz: 2500,
  beepQuietAfterMs: 100,
});

/**
 * Tone before the greeting (ringback after the answer, a carrier's "please hold" tone) is not
 * counted toward the analysis limits, but only up to this much: past it the line is a tone that
 * never ends, and counting it lets `totalAnalysisMs` decide instead of waiting for ever.
 */
export const MAX_EXCLUDED_TONE_MS = 30_000;

/**
 * Wall-clock time, on top of `totalAnalysisMs`, after which a CallProgressWatch gives up with
 * `unknown`. The analyzer's clock is audio time: with no RTP, or comfort noise only, it never
 * moves, and a person who answered would hear silence while the script waits for a decision.
 * The margin covers jitter and a loaded event loop, so audio that does flow still decides.
 */
export const DECISION_DEADLINE_MARGIN_MS = 2_000;

/** The defaults with `overrides` on top, checked. */
export function resolveCallProgressOptions(
  overrides: Partial<CallProgressOptions> = {},
): CallProgressOptions {
  const options: CallProgressOptions = { ...CALL_PROGRESS_DEFAULTS, ...overrides };
  for (const [key, value] of Object.entries(options)) {
    if (key === 'initialSilenceResult') {
      if (value !== 'machine' && value !== 'unknown') {
        throw new CallProgressOptionsError(
          `initialSilenceResult must be machine or unknown, not ${String(value)}`,
        );
      }
    } else if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new CallProgressOptionsError(`${key} must be a finite number >= 0, not ${String(value)}`);
    }
  }
  if (options.maxWords < 1)
    throw new CallProgressOptionsError(`maxWords must be at least 1, not ${options.maxWords}`);
  if (options.beepMinHz >= options.beepMaxHz) {
    throw new CallProgressOptionsError(
      `beepMinHz (${options.beepMinHz}) must be below beepMaxHz (${options.beepMaxHz})`,
    );
  }
  return options;
}
