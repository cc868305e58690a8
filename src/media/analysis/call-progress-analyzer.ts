import {
  MAX_EXCLUDED_TONE_MS,
  resolveCallProgressOptions,
  type CallProgressOptions,
} from './call-progress-defaults.js';
import type {
  BeepEvent,
  CallProgressDecision,
  CallProgressEvent,
  DecisionReason,
  AnsweredBy,
} from './call-progress-event.js';
import { classifySit } from './sit-classifier.js';
import {
  FRAME_MS,
  FRAME_SAMPLES,
  SpectralFrameAnalyzer,
  type FrameFeatures,
} from './spectral-frame-analyzer.js';
import { ProgressToneTracker } from './progress-tone-tracker.js';
import { SyllabicModulation } from './syllabic-modulation.js';
import { ToneSegmenter, type ToneSegment } from './tone-segmenter.js';
import { VoiceActivityDetector } from './voice-activity-detector.js';
import type { VoiceGate } from './voice-gate.js';

const NO_EVENTS: readonly CallProgressEvent[] = Object.freeze([]);
/** A tone that starts this soon after another is part of a sequence (a SIT), not a beep. */
const SEQUENCE_GAP_MS = 70;
/**
 * European ringback is one 425 Hz tone (UK's 400+450 beats and is dual). Before anyone spoke, a
 * tone in this band is ringback, not a beep: a beep ends a greeting.
 */
const RINGBACK_BAND = { minHz: 380, maxHz: 500 } as const;
/** Segments kept for SIT matching. */
const KEPT_SEGMENTS = 3;
/**
 * A voice frame with this share of its energy above 2 kHz is a consonant (s, f, t, ch): speech
 * has some within any second of talk, in every language; hold music, a hum or a chord has none.
 */
const CONSONANT_HIGH_SHARE = 0.2;
/** Consonant frames a greeting needs before its length or words can make it a machine. */
const CONSONANT_FRAMES = 2;
/**
 * A long sound with fewer consonant frames is still speech if its energy swings at syllable rate
 * (SyllabicModulation) by this much, all through it: what a line that keeps nothing above 2 kHz
 * leaves of a greeting. Tuned on the training split: its greetings low-passed at 2-2.5 kHz hold
 * 2.4 dB or more, its hold music at most 2.2 dB (piano-like chords; held notes and pads under 1.6).
 */
const SYLLABIC_DEPTH_DB = 2.4;
/**
 * The depth counts from this long after the greeting started: the one-second average still holds
 * the step from what came before it (the end of ringback or music, the silence before a word).
 */
const SETTLED_MS = 1000;
/**
 * A voice frame whose level rose under 0.5 dB and fell under 3 dB from the one before is held or
 * gently decaying, as a tone or a struck note is; speech's level jumps and drops with its sounds.
 */
const HELD_RISE_DB = 0.5;
const HELD_FALL_DB = 3;
/**
 * Past this share of held frames a long sound is not taken for speech on its rhythm: a tone
 * switched on and off (UK ringback's 400/200 ms, a tone the tracker lost in noise) and notes that
 * ring out (piano-like chords) swing at syllable rate too. In their first 1.5 s, training greetings
 * low-passed at 2-2.5 kHz have at most 0.42 held frames, hold music with decaying notes 0.64-0.88.
 */
const HELD_SHARE = 0.55;
/**
 * Consonants are not proof enough past this share of held frames: hi-hats over ringing chords
 * (bright hold music) put energy above 2 kHz too. Training greetings with their consonants have at
 * most 0.57 held frames in their first 1.5 s, bright hold music 0.80 or more.
 */
const HELD_SHARE_WITH_CONSONANTS = 0.7;

/**
 * Who answered, from the callee's audio: human, machine or unknown, a voicemail beep, a special
 * information tone. Feed it the decoded 8 kHz frames as they arrive; it keeps no clock of its
 * own (times are audio time), knows no engine or queue, and costs about 2 µs per 20 ms frame (bench/amd-accuracy.ts): a
 * 256-point FFT on every other frame, and on every frame while a tone may be on the line.
 *
 * The cadence follows app_amd (words, greeting length, silence after the greeting), on a voice
 * detector that tracks the line's noise and ignores call progress tones; a beep heard before the
 * decision makes it a machine. A long sound that does not sound like speech (hold music before
 * the person picks up) is no greeting: it cannot make a machine, and a person after it is still
 * heard. Speech is told by its consonants (energy above 2 kHz) or, where the line lost that band,
 * by its level swinging at syllable rate (2–8 Hz) all through it, as held notes, hums and noise
 * do not; when neither is clear it errs toward `unknown`. After the decision it keeps listening for a beep until
 * `beepWindowMs`, so a script can start its message after the beep.
 */
export class CallProgressAnalyzer {
  readonly options: CallProgressOptions;
  readonly #spectrum = new SpectralFrameAnalyzer();
  readonly #vad: VoiceGate;
  readonly #segmenter = new ToneSegmenter();
  readonly #tones = new ProgressToneTracker();
  readonly #modulation = new SyllabicModulation();
  readonly #segments: ToneSegment[] = [];
  readonly #pending = new Int16Array(FRAME_SAMPLES);
  #pendingLength = 0;
  #events: CallProgressEvent[] = [];

  #elapsedMs = 0;
  /** Audio taken by call progress tones before the greeting: not counted toward the limits. */
  #toneMs = 0;
  #voiceRunMs = 0;
  #silenceRunMs = 0;
  #inWord = true;
  #words = 0;
  #greetingVoiceMs = 0;
  #greetingStartMs = 0;
  #consonantFrames = 0;
  #minDepthDb = Infinity;
  #voiceFrames = 0;
  #lastEnergyDb = -120;
  #heldFrames = 0;
  #inGreeting = false;
  #decision: CallProgressDecision | undefined;
  #beep: BeepEvent | undefined;
  #candidate: ToneSegment | undefined;
  #sitFound = false;
  #lastSegmentEndMs = -Infinity;

  /** `vad`: another voice detector under the same cadence (benchmarks); the energy gate by default. */
  constructor(options: Partial<CallProgressOptions> = {}, vad?: VoiceGate) {
    this.options = resolveCallProgressOptions(options);
    this.#vad = vad ?? new VoiceActivityDetector(this.options);
    // app_amd starts "in a word": voice from the first frame is not a word until silence came.
    this.#inWord = true;
  }

  get decision(): CallProgressDecision | undefined {
    return this.#decision;
  }

  get beep(): BeepEvent | undefined {
    return this.#beep;
  }

  /** Audio analysed so far, ms. */
  get elapsedMs(): number {
    return this.#elapsedMs;
  }

  /**
   * Nothing more will come: decided, and the beep found or its window over. A person's decision
   * does not end it: a beep after it says the "person" was a machine with a short greeting.
   */
  get done(): boolean {
    return (
      this.#decision !== undefined &&
      (this.#beep !== undefined || this.#elapsedMs >= this.options.beepWindowMs)
    );
  }

  /**
   * Some samples (any length; 160 is one 20 ms frame). Returns the events they caused, oldest
   * first; most frames cause none.
   */
  push(samples: Int16Array): readonly CallProgressEvent[] {
    let offset = 0;
    if (this.#pendingLength > 0) {
      const n = Math.min(FRAME_SAMPLES - this.#pendingLength, samples.length);
      this.#pending.set(samples.subarray(0, n), this.#pendingLength);
      this.#pendingLength += n;
      offset = n;
      if (this.#pendingLength < FRAME_SAMPLES) return NO_EVENTS;
      this.#frame(this.#pending);
      this.#pendingLength = 0;
    }
    if (offset === 0 && samples.length === FRAME_SAMPLES) {
      // One RTP packet's worth, as the receiver hands it over: analysed in place, no view made.
      this.#frame(samples);
      return this.#take();
    }
    while (samples.length - offset >= FRAME_SAMPLES) {
      this.#frame(samples.subarray(offset, offset + FRAME_SAMPLES));
      offset += FRAME_SAMPLES;
    }
    if (offset < samples.length) {
      this.#pending.set(samples.subarray(offset));
      this.#pendingLength = samples.length - offset;
    }
    return this.#take();
  }

  /** The audio ended: closes an open tone (a beep at the very end) and returns what that caused. */
  flush(): readonly CallProgressEvent[] {
    const ended = this.#segmenter.flush();
    if (ended !== undefined) this.#segmentEnded(ended);
    if (this.#candidate !== undefined) this.#acceptBeep(this.#candidate);
    return this.#take();
  }

  #take(): readonly CallProgressEvent[] {
    if (this.#events.length === 0) return NO_EVENTS;
    const out = this.#events;
    this.#events = [];
    return out;
  }

  #frame(frame: Int16Array): void {
    const f = this.#spectrum.analyze(frame);
    const at = this.#elapsedMs;
    this.#elapsedMs += FRAME_MS;
    const ended = this.#segmenter.push(f, at);
    if (ended !== undefined) this.#segmentEnded(ended);
    this.#checkCandidate(at);
    this.#cadence(f);
  }

  #cadence(f: Readonly<FrameFeatures>): void {
    // Decided: only the beep is still listened for, and that is the segmenter's.
    if (this.#decision !== undefined) return;
    const o = this.options;
    const inTone = this.#tones.push(f);
    const voice = this.#vad.isVoice(f, inTone);
    this.#modulation.push(f.energyDb);
    const levelStep = f.energyDb - this.#lastEnergyDb;
    this.#lastEnergyDb = f.energyDb;
    if (this.#inGreeting && this.#elapsedMs - this.#greetingStartMs >= SETTLED_MS)
      this.#minDepthDb = Math.min(this.#minDepthDb, this.#modulation.depthDb);
    // Capped: a tone that never ends (60 s of ringback) must count at last, or nothing decides.
    if (!this.#inGreeting && inTone && this.#toneMs < MAX_EXCLUDED_TONE_MS) this.#toneMs += FRAME_MS;
    if (voice) {
      if (f.fresh && f.highShare >= CONSONANT_HIGH_SHARE) this.#consonantFrames++;
      this.#voiceFrames++;
      if (levelStep < HELD_RISE_DB && levelStep > -HELD_FALL_DB) this.#heldFrames++;
      this.#voiceRunMs += FRAME_MS;
      this.#silenceRunMs = 0;
      if (this.#voiceRunMs >= o.minWordMs && !this.#inWord) {
        this.#words++;
        this.#inWord = true;
        if (!this.#inGreeting) {
          this.#inGreeting = true;
          this.#greetingVoiceMs = this.#voiceRunMs - FRAME_MS;
          this.#greetingStartMs = this.#elapsedMs - this.#voiceRunMs;
          this.#minDepthDb = Infinity;
        }
      }
      if (this.#inGreeting) this.#greetingVoiceMs += FRAME_MS;
    } else {
      this.#silenceRunMs += FRAME_MS;
      if (this.#silenceRunMs >= o.betweenWordsSilenceMs) {
        this.#inWord = false;
        this.#voiceRunMs = 0;
      }
    }
    const long =
      this.#voiceRunMs >= o.maxWordMs ||
      this.#words >= o.maxWords ||
      (this.#inGreeting && this.#greetingVoiceMs >= o.greetingMs);
    if (long && !this.#soundsLikeSpeech()) this.#notSpeech();
    const counted = this.#elapsedMs - this.#toneMs;
    if (this.#voiceRunMs >= o.maxWordMs) this.#decide('machine', 'max-word-length');
    else if (this.#words >= o.maxWords) this.#decide('machine', 'max-words');
    else if (this.#inGreeting && this.#greetingVoiceMs >= o.greetingMs)
      this.#decide('machine', 'long-greeting');
    else if (this.#inGreeting && this.#silenceRunMs >= this.#silenceForHuman()) {
      this.#decide('human', 'human-silence-after-greeting');
    } else if (!this.#inGreeting && counted >= o.initialSilenceMs) {
      this.#decide(o.initialSilenceResult, 'initial-silence');
    } else if (counted >= o.totalAnalysisMs) this.#decide('unknown', 'max-analysis-time');
  }

  /**
   * Whether the long sound now ending the greeting is someone talking: consonants (energy above
   * 2 kHz), or where the line lost that band, syllable-rate swings of its level all through it
   * that are not a tone's on and off. Music, hums and noise have neither.
   */
  #soundsLikeSpeech(): boolean {
    const held = this.#heldFrames / Math.max(1, this.#voiceFrames);
    if (this.#consonantFrames >= CONSONANT_FRAMES) return held <= HELD_SHARE_WITH_CONSONANTS;
    if (held > HELD_SHARE) return false;
    const depth = this.#inGreeting ? this.#minDepthDb : this.#modulation.depthDb;
    return depth !== Infinity && depth >= SYLLABIC_DEPTH_DB;
  }

  /**
   * The "greeting" went on long and does not sound like speech: music or a hum, not someone talking.
   * It is forgotten, and its time is not counted, as a tone's is not: a person may come after it.
   */
  #notSpeech(): void {
    const start = this.#inGreeting ? this.#greetingStartMs : this.#elapsedMs - this.#voiceRunMs;
    this.#toneMs = Math.min(MAX_EXCLUDED_TONE_MS, this.#toneMs + this.#elapsedMs - start);
    this.#inGreeting = false;
    this.#inWord = true;
    this.#words = 0;
    this.#greetingVoiceMs = 0;
    this.#voiceRunMs = 0;
    this.#consonantFrames = 0;
    this.#voiceFrames = 0;
    this.#heldFrames = 0;
  }

  /**
   * Gives up now with `unknown`, for a caller whose own clock ran out (the analyzer's is audio
   * time and stands still with no audio). No-op once decided; the beep is still listened for.
   */
  forceUnknown(reason: 'no-audio' | 'max-analysis-time'): readonly CallProgressEvent[] {
    this.#decide('unknown', reason);
    return this.#take();
  }

  #silenceForHuman(): number {
    const o = this.options;
    return this.#greetingVoiceMs >= o.shortGreetingMs
      ? o.afterLongGreetingSilenceMs
      : o.afterGreetingSilenceMs;
  }

  #decide(result: AnsweredBy, reason: DecisionReason, beepAtMs?: number): void {
    if (this.#decision !== undefined) return;
    // From now on only a beep (or a SIT) is listened for.
    this.#spectrum.onlySingleTones = true;
    this.#decision = {
      type: 'decision',
      result,
      reason,
      decisionMs: this.#elapsedMs,
      greetingMs: this.#greetingVoiceMs,
      words: this.#words,
      ...(beepAtMs !== undefined ? { beepAtMs } : {}),
    };
    this.#events.push(this.#decision);
  }

  #segmentEnded(s: ToneSegment): void {
    this.#segments.push(s);
    if (this.#segments.length > KEPT_SEGMENTS) this.#segments.shift();
    const sit = this.#sitFound ? undefined : classifySit(this.#segments);
    if (sit !== undefined) {
      this.#sitFound = true;
      this.#candidate = undefined;
      this.#events.push({ type: 'sit', sit: sit.sit, code: sit.code, atMs: sit.atMs });
      this.#decide('unknown', 'sit');
      return;
    }
    const o = this.options;
    const ms = s.endMs - s.startMs;
    const ringbackLike =
      this.#words === 0 && s.frequencyHz >= RINGBACK_BAND.minHz && s.frequencyHz <= RINGBACK_BAND.maxHz;
    const follows = s.startMs - this.#lastSegmentEndMs <= SEQUENCE_GAP_MS;
    this.#lastSegmentEndMs = s.endMs;
    if (follows) {
      // Tones back to back: a SIT or a melody, not a beep, and nor is the melody's last note.
      this.#candidate = undefined;
      return;
    }
    if (this.#beep !== undefined || ringbackLike || s.startMs >= o.beepWindowMs) return;
    if (
      ms >= o.minBeepMs &&
      ms <= o.maxBeepMs &&
      s.frequencyHz >= o.beepMinHz &&
      s.frequencyHz <= o.beepMaxHz
    ) {
      this.#candidate = s;
    }
  }

  #checkCandidate(atMs: number): void {
    const c = this.#candidate;
    if (c === undefined) return;
    if (this.#segmenter.inTone && this.#segmenter.openSinceMs - c.endMs <= SEQUENCE_GAP_MS) return;
    if (atMs + FRAME_MS - c.endMs >= this.options.beepQuietAfterMs) this.#acceptBeep(c);
  }

  #acceptBeep(c: ToneSegment): void {
    this.#candidate = undefined;
    if (this.#beep !== undefined) return;
    this.#beep = {
      type: 'beep',
      atMs: c.startMs,
      endMs: c.endMs,
      frequencyHz: Math.round(c.frequencyHz * 10) / 10,
    };
    this.#events.push(this.#beep);
    this.#decide('machine', 'beep', c.startMs);
  }
}
