import { describe, expect, it } from 'vitest';

import { FakeClock } from '../../helpers/fake-clock.js';

describe('FakeClock', () => {
  it('fires due timers in time order, each at its own due time, and nothing early', () => {
    const clock = new FakeClock();
    const fired: Array<[string, number]> = [];
    clock.setTimer(300, () => fired.push(['c', clock.now()]));
    clock.setTimer(100, () => fired.push(['a', clock.now()]));
    clock.setTimer(200, () => fired.push(['b', clock.now()]));
    clock.advance(199);
    expect(fired).toEqual([['a', 100]]);
    clock.advance(1);
    expect(fired).toEqual([
      ['a', 100],
      ['b', 200],
    ]);
    expect(clock.now()).toBe(200);
    expect(clock.pending).toBe(1);
  });

  it('fires timers set by callbacks during the same advance when they fall due', () => {
    const clock = new FakeClock();
    const fired: number[] = [];
    const tick = (): void => {
      fired.push(clock.now());
      clock.setTimer(100, tick);
    };
    clock.setTimer(100, tick);
    clock.advance(350);
    expect(fired).toEqual([100, 200, 300]);
    expect(clock.now()).toBe(350);
    expect(clock.nextDueAt).toBe(400);
  });

  it('keeps creation order for timers due at the same instant, and cancel removes a timer', () => {
    const clock = new FakeClock(1000);
    const fired: string[] = [];
    clock.setTimer(0, () => fired.push('first'));
    const cancelled = clock.setTimer(0, () => fired.push('cancelled'));
    clock.setTimer(0, () => fired.push('second'));
    cancelled.cancel();
    expect(clock.pending).toBe(2);
    clock.advance(0);
    expect(fired).toEqual(['first', 'second']);
    expect(clock.pending).toBe(0);
  });
});
