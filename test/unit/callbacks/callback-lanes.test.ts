import { describe, expect, it } from 'vitest';
import { CallbackLanes } from '../../../src/callbacks/callback-lanes.js';

describe('CallbackLanes', () => {
  it('gives each receiver origin its own slots', () => {
    const lanes = new CallbackLanes(2);
    const a = CallbackLanes.laneOf('http://127.0.0.1:9001/hook?x=1');
    const b = CallbackLanes.laneOf('http://127.0.0.1:9002/hook');
    expect(a).toBe(CallbackLanes.laneOf('http://127.0.0.1:9001/other'));
    expect(a).not.toBe(b);
    expect([lanes.tryEnter(a), lanes.tryEnter(a), lanes.tryEnter(a)]).toEqual([true, true, false]);
    expect(lanes.tryEnter(b)).toBe(true);
    lanes.leave(a);
    expect(lanes.tryEnter(a)).toBe(true);
  });

  it('puts a delivery off ever longer while its lane stays full, up to the cap, and forgets it once in', () => {
    const lanes = new CallbackLanes(1);
    expect([1, 2, 3, 4, 5].map(() => lanes.deferFor('j1', 100, 1_000))).toEqual([100, 200, 400, 800, 1_000]);
    expect(lanes.deferFor('j2', 100, 1_000)).toBe(100);
    lanes.entered('j1');
    expect(lanes.deferFor('j1', 100, 1_000)).toBe(100);
  });
});
