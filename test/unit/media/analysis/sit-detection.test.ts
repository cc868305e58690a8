import { describe, expect, it } from 'vitest';
import { CallProgressAnalyzer, type CallProgressEvent, type SitClass } from '../../../../src/media/index.js';
import {
  concat,
  frames,
  mix,
  seededRandom,
  silence,
  sit,
  speechLike,
  toPcm,
  whiteNoise,
  type SitName,
} from '../../../helpers/call-audio.js';

function analyse(audio: Float64Array): CallProgressEvent[] {
  const a = new CallProgressAnalyzer();
  const events: CallProgressEvent[] = [];
  for (const f of frames(toPcm(audio, 'PCMA'))) events.push(...a.push(f));
  return [...events, ...a.flush()];
}

const EXPECTED: Record<SitName, SitClass> = {
  IC: 'intercept',
  VC: 'vacant',
  NC: 'no-circuit',
  NC2: 'no-circuit',
  RO: 'reorder',
  RO2: 'reorder',
  IO: 'unknown-sit',
  reserved: 'unknown-sit',
};

describe('SIT detection', () => {
  it.each(Object.entries(EXPECTED) as [SitName, SitClass][])(
    'classes %s as %s, clean, detuned, with noise and gaps',
    (name, cls) => {
      const random = seededRandom(name.length * 31);
      const cases = [
        sit(name),
        sit(name, -24, 0, 0.002),
        sit(name, -20, 25, -0.002),
        sit(name, -24, 4, 0, 1.04),
        sit(name, -24, 4, 0, 0.96),
      ];
      for (const [i, s] of cases.entries()) {
        const audio = concat(
          silence(300),
          s,
          silence(300),
          speechLike(8, 220, 20, -20, random),
          silence(500),
        );
        const events = analyse(mix(audio, whiteNoise(8000, -45, random)));
        const sits = events.filter((e) => e.type === 'sit');
        expect(sits, `case ${i}`).toMatchObject([{ sit: cls, code: name, atMs: expect.any(Number) }]);
        expect(Math.abs(sits[0]!.atMs - 300)).toBeLessThanOrEqual(40);
        expect(
          events.filter((e) => e.type === 'beep'),
          `case ${i}`,
        ).toEqual([]);
      }
    },
  );

  it('decides unknown with reason sit, before the announcement makes it look like a machine', () => {
    const random = seededRandom(5);
    const events = analyse(
      concat(silence(200), sit('IC'), silence(200), speechLike(12, 220, 20, -20, random)),
    );
    expect(events.find((e) => e.type === 'decision')).toMatchObject({ result: 'unknown', reason: 'sit' });
  });

  it('does not take two tones for a SIT, nor three tones of the wrong bands', () => {
    const notSit = concat(silence(200), sit('IC').subarray(0, 4400), silence(1000));
    expect(analyse(notSit).filter((e) => e.type === 'sit')).toEqual([]);
  });
});
