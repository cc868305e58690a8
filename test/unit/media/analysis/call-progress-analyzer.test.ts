import { describe, expect, it } from 'vitest';
import {
  CallProgressAnalyzer,
  CallProgressOptionsError,
  CALL_PROGRESS_DEFAULTS,
  MAX_EXCLUDED_TONE_MS,
  type CallProgressEvent,
  type CallProgressOptions,
  type VoiceGate,
} from '../../../../src/media/index.js';
import {
  cadence,
  concat,
  dtmf,
  frames,
  holdMusic,
  lowPass,
  mix,
  music,
  pinkNoise,
  RINGBACK_EU,
  RINGBACK_UK,
  RINGBACK_US,
  seededRandom,
  silence,
  speechLike,
  tone,
  toPcm,
  whiteNoise,
} from '../../../helpers/call-audio.js';

function analyse(audio: Float64Array, options: Partial<CallProgressOptions> = {}): CallProgressEvent[] {
  const a = new CallProgressAnalyzer(options);
  const events: CallProgressEvent[] = [];
  for (const f of frames(toPcm(audio, 'PCMU'))) events.push(...a.push(f));
  events.push(...a.flush());
  return events;
}

const decisionOf = (events: CallProgressEvent[]) => events.find((e) => e.type === 'decision');
const beepsOf = (events: CallProgressEvent[]) => events.filter((e) => e.type === 'beep');

describe('CallProgressAnalyzer: who answered', () => {
  it('says human for a short hello followed by silence, after the after-greeting silence', () => {
    const random = seededRandom(1);
    const events = analyse(concat(silence(400), speechLike(2, 200, 30, -20, random), silence(3000)));
    const d = decisionOf(events);
    expect(d).toMatchObject({ result: 'human', reason: 'human-silence-after-greeting', words: 1 });
    expect(d!.decisionMs).toBeGreaterThanOrEqual(400 + 300 + CALL_PROGRESS_DEFAULTS.afterGreetingSilenceMs);
    expect(d!.decisionMs).toBeLessThan(2200);
  });

  it('says machine for a long continuous greeting', () => {
    const random = seededRandom(2);
    const events = analyse(concat(silence(300), speechLike(12, 220, 20, -20, random), silence(1000)), {
      maxWords: 100,
    });
    const d = decisionOf(events);
    expect(d).toMatchObject({ result: 'machine', reason: 'long-greeting' });
    expect(d!.greetingMs).toBe(CALL_PROGRESS_DEFAULTS.greetingMs);
  });

  it('waits longer after a longer greeting: a machine pausing between sentences stays a machine', () => {
    const random = seededRandom(13);
    const o = CALL_PROGRESS_DEFAULTS;
    const pause = (o.afterGreetingSilenceMs + o.afterLongGreetingSilenceMs) / 2;
    const sentence = (ms: number): Float64Array => speechLike(Math.round(ms / 220), 220, 0, -20, random);
    const machine = concat(silence(300), sentence(1100), silence(pause), sentence(2000), silence(1000));
    expect(decisionOf(analyse(machine))).toMatchObject({ result: 'machine', reason: 'long-greeting' });
    const person = concat(silence(300), sentence(440), silence(pause), sentence(2000), silence(1000));
    expect(decisionOf(analyse(person))).toMatchObject({ result: 'human' });
  });

  it('takes long sound with no consonant (hold music) for no greeting: the person after it is human', () => {
    const random = seededRandom(21);
    const hello = speechLike(2, 200, 30, -20, random);
    const person = concat(music(3000, 300, -24, random), silence(600), hello, silence(3000));
    expect(decisionOf(analyse(person))).toMatchObject({ result: 'human' });
    // The same length of talk is a machine: its consonants make it speech.
    const talk = concat(silence(300), speechLike(12, 220, 20, -20, random), silence(1000));
    expect(decisionOf(analyse(talk, { maxWords: 100 }))).toMatchObject({ result: 'machine' });
    // Music that never stops is not a machine either: nothing spoke. Like a tone it is not
    // counted; the caller's wall-clock deadline (forceUnknown) ends the wait.
    expect(decisionOf(analyse(music(8000, 400, -24, random)))).toBeUndefined();
  });

  it('on a line that keeps nothing above 2 kHz, still takes long talk for a machine and music for no greeting', () => {
    const random = seededRandom(23);
    // Low-passed, the syllables keep no consonant a 2 kHz test would see: their rhythm tells.
    const talk = lowPass(concat(silence(300), speechLike(12, 220, 20, -20, random), silence(1000)), 2000);
    expect(decisionOf(analyse(talk, { maxWords: 100 }))).toMatchObject({ result: 'machine' });
    const hello = speechLike(2, 200, 30, -20, random);
    for (const kind of ['melody', 'pad', 'chords'] as const) {
      const person = lowPass(
        concat(holdMusic(kind, 3000, 350, -24, random), silence(600), hello, silence(3000)),
        2000,
      );
      expect(decisionOf(analyse(person)), kind).toMatchObject({ result: 'human' });
    }
  });

  it('takes no note of a melody for a beep, not even its last one', () => {
    const random = seededRandom(24);
    const events = analyse(concat(holdMusic('melody', 2000, 350, -22, random), silence(2000)));
    expect(beepsOf(events)).toEqual([]);
  });

  it('runs its cadence on another voice detector when given one (the benchmark seam)', () => {
    const random = seededRandom(22);
    const pcm = toPcm(concat(silence(300), speechLike(12, 220, 20, -20, random), silence(3000)), 'PCMU');
    const run = (vad?: VoiceGate): string | undefined => {
      const a = new CallProgressAnalyzer({ maxWords: 100 }, vad);
      for (const f of frames(pcm)) a.push(f);
      return a.decision?.reason;
    };
    expect(run()).toBe('long-greeting');
    const asked: boolean[] = [];
    const deaf: VoiceGate = {
      isVoice: (_f, inTone) => {
        asked.push(inTone);
        return false;
      },
    };
    expect(run(deaf)).toBe('initial-silence');
    expect(asked.length).toBeGreaterThan(100);
  });

  it('counts words apart by the between-words silence and says machine at maxWords', () => {
    const random = seededRandom(3);
    const audio = concat(silence(300), speechLike(4, 200, 150, -20, random), silence(2000));
    expect(decisionOf(analyse(audio, { maxWords: 3 }))).toMatchObject({
      result: 'machine',
      reason: 'max-words',
      words: 3,
    });
    expect(decisionOf(analyse(audio, { maxWords: 10, greetingMs: 5000 }))).toMatchObject({
      result: 'human',
      words: 4,
    });
  });

  it('gives up on initial silence with the configured result', () => {
    expect(decisionOf(analyse(silence(4000)))).toMatchObject({
      result: 'unknown',
      reason: 'initial-silence',
      decisionMs: 2500,
    });
    expect(
      decisionOf(analyse(silence(4000), { initialSilenceResult: 'machine', initialSilenceMs: 1000 })),
    ).toMatchObject({
      result: 'machine',
      decisionMs: 1000,
    });
  });

  it('does not hear a person in steady line noise, even loud noise from the first frame', () => {
    const random = seededRandom(4);
    for (const noise of [
      whiteNoise(4000, -30, random),
      pinkNoise(4000, -25, random),
      whiteNoise(4000, -45, random),
    ]) {
      expect(decisionOf(analyse(noise))).toMatchObject({ result: 'unknown', reason: 'initial-silence' });
    }
  });

  it('hears the hello through 10 dB SNR noise', () => {
    const random = seededRandom(5);
    const speech = concat(silence(500), speechLike(2, 200, 30, -20, random), silence(3000));
    const noisy = mix(speech, whiteNoise(5000, -20 - 10 - 3, random));
    expect(decisionOf(analyse(noisy))).toMatchObject({ result: 'human' });
  });

  it('does not count ringback as silence or voice: a person after two rings is a person', () => {
    const random = seededRandom(6);
    const ring = cadence(RINGBACK_US.freqs, RINGBACK_US.onMs, RINGBACK_US.offMs - 3000, 5000);
    const events = analyse(concat(ring, speechLike(2, 200, 30, -20, random), silence(3000)));
    expect(decisionOf(events)).toMatchObject({ result: 'human' });
    expect(beepsOf(events)).toEqual([]);
  });

  it('stops at the total analysis time', () => {
    const random = seededRandom(8);
    // Words with long pauses: neither a long greeting nor a silence long enough.
    const parts = [silence(200)];
    for (let i = 0; i < 10; i++) parts.push(speechLike(1, 250, 0, -20, random), silence(300));
    const d = decisionOf(
      analyse(concat(...parts), { maxWords: 100, greetingMs: 10_000, afterGreetingSilenceMs: 900 }),
    );
    expect(d).toMatchObject({ result: 'unknown', reason: 'max-analysis-time', decisionMs: 5000 });
  });

  it('counts tone before the greeting at last: a line that is one endless tone still decides', () => {
    // 425 Hz without end (ringback that never stops, a "please hold" tone): excluded up to the cap,
    // then counted, so the initial silence decides instead of nothing ever deciding.
    const d = decisionOf(analyse(tone([425], 40_000, -18)));
    expect(d).toMatchObject({ result: 'unknown', reason: 'initial-silence' });
    expect(d!.decisionMs).toBeGreaterThanOrEqual(MAX_EXCLUDED_TONE_MS);
  });

  it('takes samples in any chunking and gives the same events', () => {
    const random = seededRandom(9);
    const pcm = toPcm(
      concat(silence(300), speechLike(8, 220, 20, -20, random), tone([1000], 400, -18), silence(500)),
    );
    const whole = new CallProgressAnalyzer();
    const a = [...whole.push(pcm), ...whole.flush()];
    const chunked = new CallProgressAnalyzer();
    const b: CallProgressEvent[] = [];
    for (let i = 0; i < pcm.length; i += 97) b.push(...chunked.push(pcm.subarray(i, i + 97)));
    b.push(...chunked.flush());
    expect(b).toEqual(a);
    expect(a.map((e) => e.type)).toEqual(['decision', 'beep']);
  });

  it('refuses bad options, naming the field', () => {
    expect(() => new CallProgressAnalyzer({ greetingMs: -1 })).toThrow(/greetingMs/);
    expect(() => new CallProgressAnalyzer({ maxWords: 0 })).toThrow(CallProgressOptionsError);
    expect(() => new CallProgressAnalyzer({ beepMinHz: 3000 })).toThrow(/beepMinHz/);
  });
});

describe('CallProgressAnalyzer: the voicemail beep', () => {
  it.each([
    [1000, 500],
    [440, 300],
    [850, 150],
    [1400, 800],
    [2000, 250],
  ])('finds a %s Hz beep of %s ms after a greeting and reports its time', (hz, ms) => {
    const random = seededRandom(hz + ms);
    const greetingEnd = 300 + 12 * 220;
    const audio = concat(
      silence(300),
      speechLike(12, 220, 0, -20, random),
      silence(400),
      tone([hz], ms, -18),
      silence(1500),
    );
    const events = analyse(mix(audio, whiteNoise(10_000, -50, random)));
    const beeps = beepsOf(events);
    expect(beeps).toHaveLength(1);
    expect(Math.abs(beeps[0]!.frequencyHz - hz)).toBeLessThan(10);
    expect(beeps[0]!.atMs).toBeGreaterThan(greetingEnd);
    expect(Math.abs(beeps[0]!.endMs - beeps[0]!.atMs - ms)).toBeLessThanOrEqual(40);
  });

  it('after a person was decided, still finds a beep barely longer than minBeepMs, whole, in line noise', () => {
    // After the decision only single tones are looked for and some frames go untransformed:
    // the beep's start may be seen a frame late, but never so late that it falls short.
    const random = seededRandom(21);
    const hello = speechLike(2, 200, 30, -20, random);
    const audio = concat(silence(400), hello, silence(1530), tone([1100], 140, -18), silence(1500));
    const events = analyse(mix(audio, whiteNoise(4000, -45, random)));
    expect(decisionOf(events)).toMatchObject({ result: 'human' });
    const beeps = beepsOf(events);
    expect(beeps).toHaveLength(1);
    const startMs = 400 + (hello.length / 8000) * 1000 + 1530;
    expect(Math.abs(beeps[0]!.atMs - startMs)).toBeLessThanOrEqual(20);
    expect(beeps[0]!.endMs - beeps[0]!.atMs).toBeGreaterThanOrEqual(CALL_PROGRESS_DEFAULTS.minBeepMs);
  });

  it('decides machine on a beep heard before anything else decided', () => {
    const events = analyse(concat(silence(600), tone([1000], 400, -18), silence(2000)));
    const d = decisionOf(events);
    expect(d).toMatchObject({ result: 'machine', reason: 'beep' });
    // The tone's 5 ms fade-in leaves the first frame short of pure: one frame late at most.
    expect(Math.abs(d!.beepAtMs! - 600)).toBeLessThanOrEqual(20);
  });

  it.each([
    ['US', RINGBACK_US],
    ['EU', RINGBACK_EU],
    ['UK', RINGBACK_UK],
  ])('never takes %s ringback for a beep', (_name, rb) => {
    const random = seededRandom(11);
    const ring = cadence(rb.freqs, rb.onMs, rb.offMs, 20_000, -22);
    expect(beepsOf(analyse(ring))).toEqual([]);
    expect(beepsOf(analyse(mix(ring, whiteNoise(20_000, -40, random))))).toEqual([]);
  });

  it('never takes DTMF or a dial tone for a beep', () => {
    expect(beepsOf(analyse(concat(dtmf('0123456789*#', 150, 100), silence(1000))))).toEqual([]);
    expect(beepsOf(analyse(concat(tone([350, 440], 3000, -20), silence(500))))).toEqual([]);
  });

  it('never takes speech-like bursts for a beep', () => {
    const random = seededRandom(12);
    for (let i = 0; i < 10; i++) {
      expect(beepsOf(analyse(concat(speechLike(20, 250, 40, -18, random), silence(500))))).toEqual([]);
    }
  });
});
