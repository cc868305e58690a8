import type { SitClass } from './sit-classifier.js';

export type AnsweredBy = 'human' | 'machine' | 'unknown';

/** Why the analyzer decided what it did. */
export type DecisionReason =
  | 'human-silence-after-greeting'
  | 'long-greeting'
  | 'max-words'
  | 'max-word-length'
  | 'beep'
  | 'initial-silence'
  | 'max-analysis-time'
  /** The watch's wall-clock deadline passed with no audio decoded at all (no RTP, or CN only). */
  | 'no-audio'
  | 'sit';

/** Who answered: given once per call. Times are ms of audio since the first frame. */
export interface CallProgressDecision {
  readonly type: 'decision';
  readonly result: AnsweredBy;
  readonly reason: DecisionReason;
  readonly decisionMs: number;
  /** Voice heard since the first word. */
  readonly greetingMs: number;
  readonly words: number;
  /** Set when the beep decided. */
  readonly beepAtMs?: number;
}

/** A voicemail beep: a steady single tone; leave the message after `endMs`. */
export interface BeepEvent {
  readonly type: 'beep';
  readonly atMs: number;
  readonly endMs: number;
  readonly frequencyHz: number;
}

/** A special information tone: the network says the call failed, and why. */
export interface SitEvent {
  readonly type: 'sit';
  readonly sit: SitClass;
  /** IC, VC, NC, NC2, RO, RO2, IO, reserved, or ITU (a SIT outside the encodings). */
  readonly code: string;
  readonly atMs: number;
}

export type CallProgressEvent = CallProgressDecision | BeepEvent | SitEvent;
