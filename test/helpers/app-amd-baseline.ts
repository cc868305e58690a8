/**
 * Asterisk app_amd's published algorithm (apps/app_amd.c), with its defaults: the baseline
 * bench/amd-accuracy.ts measures the call progress analyzer against. Voice is a frame whose mean
 * absolute sample reaches the silence threshold (ast_dsp_silence); everything else is its
 * cadence of words and silences, step for step. It has no beep or SIT detection.
 */
export interface AppAmdOptions {
  readonly initialSilence: number;
  readonly greeting: number;
  readonly afterGreetingSilence: number;
  readonly totalAnalysisTime: number;
  readonly minimumWordLength: number;
  readonly betweenWordsSilence: number;
  readonly maximumNumberOfWords: number;
  readonly silenceThreshold: number;
  readonly maximumWordLength: number;
}

export const APP_AMD_DEFAULTS: AppAmdOptions = {
  initialSilence: 2500,
  greeting: 1500,
  afterGreetingSilence: 800,
  totalAnalysisTime: 5000,
  minimumWordLength: 100,
  betweenWordsSilence: 50,
  maximumNumberOfWords: 2,
  silenceThreshold: 256,
  maximumWordLength: 5000,
};

export interface AppAmdResult {
  readonly status: 'HUMAN' | 'MACHINE' | 'NOTSURE';
  readonly cause: string;
  readonly decisionMs: number;
  readonly words: number;
}

const FRAME_MS = 20;

export class AppAmdBaseline {
  readonly #o: AppAmdOptions;
  #totalTime = 0;
  #dspSilence = 0;
  #silenceDuration = 0;
  #voiceDuration = 0;
  #consecutiveVoice = 0;
  #words = 0;
  #inWord = true;
  #inInitialSilence = true;
  #inGreeting = false;
  #result: AppAmdResult | undefined;

  constructor(options: Partial<AppAmdOptions> = {}) {
    this.#o = { ...APP_AMD_DEFAULTS, ...options };
  }

  get result(): AppAmdResult | undefined {
    return this.#result;
  }

  /** One 20 ms frame of 160 samples. Returns the result once decided. */
  push(frame: Int16Array): AppAmdResult | undefined {
    if (this.#result) return this.#result;
    const o = this.#o;
    this.#totalTime += FRAME_MS;
    if (this.#totalTime >= o.totalAnalysisTime) return this.#end('NOTSURE', 'TOOLONG');
    let abs = 0;
    for (const s of frame) abs += s < 0 ? -s : s;
    const silent = abs / frame.length < o.silenceThreshold;
    if (silent) {
      this.#dspSilence += FRAME_MS;
      this.#silenceDuration = this.#dspSilence;
      if (this.#silenceDuration >= o.betweenWordsSilence) {
        this.#inWord = false;
        this.#consecutiveVoice = 0;
      }
      if (this.#inInitialSilence && this.#silenceDuration >= o.initialSilence)
        return this.#end('MACHINE', 'INITIALSILENCE');
      if (this.#silenceDuration >= o.afterGreetingSilence && this.#inGreeting)
        return this.#end('HUMAN', 'HUMAN');
    } else {
      this.#dspSilence = 0;
      this.#consecutiveVoice += FRAME_MS;
      this.#voiceDuration += FRAME_MS;
      if (this.#consecutiveVoice >= o.minimumWordLength && !this.#inWord) {
        this.#words++;
        this.#inWord = true;
      }
      if (this.#consecutiveVoice >= o.maximumWordLength) return this.#end('MACHINE', 'MAXWORDLENGTH');
      if (this.#words >= o.maximumNumberOfWords) return this.#end('MACHINE', 'MAXWORDS');
      if (this.#inGreeting && this.#voiceDuration >= o.greeting) return this.#end('MACHINE', 'LONGGREETING');
      if (this.#voiceDuration >= o.minimumWordLength) {
        this.#silenceDuration = 0;
        this.#inInitialSilence = false;
        this.#inGreeting = true;
      }
    }
    return undefined;
  }

  #end(status: AppAmdResult['status'], cause: string): AppAmdResult {
    this.#result = { status, cause, decisionMs: this.#totalTime, words: this.#words };
    return this.#result;
  }
}
