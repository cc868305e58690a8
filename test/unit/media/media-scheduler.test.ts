import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { MediaScheduler } from '../../../src/media/index.js';

let scheduler: MediaScheduler | undefined;
afterEach(() => scheduler?.close());

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('MediaScheduler', () => {
  it('ticks each stream at exact multiples of the period from its start (ideal times never drift)', async () => {
    scheduler = new MediaScheduler();
    const ideals: number[][] = [[], [], []];
    const start = performance.now();
    const handles = ideals.map((list, i) =>
      scheduler!.add({ tick: (ideal) => list.push(ideal) }, start + i * 7),
    );
    while (ideals[2]!.length < 10) await sleep(20);
    handles.forEach((h) => h.cancel());
    for (const [i, list] of ideals.entries()) {
      list.forEach((ideal, k) => expect(ideal).toBeCloseTo(start + i * 7 + k * 20, 9));
    }
    expect(scheduler.size).toBe(0);
  });

  it('never ticks a stream before its due time', async () => {
    scheduler = new MediaScheduler();
    const early: number[] = [];
    let n = 0;
    const h = scheduler.add({
      tick: (ideal) => {
        n++;
        if (performance.now() < ideal) early.push(ideal);
      },
    });
    while (n < 10) await sleep(20);
    h.cancel();
    expect(early).toEqual([]);
  });

  it('after a stall longer than maxCatchUpMs, skips whole periods instead of bursting them', async () => {
    scheduler = new MediaScheduler({ maxCatchUpMs: 100 });
    const ideals: number[] = [];
    const h = scheduler.add({ tick: (ideal) => ideals.push(ideal) });
    while (ideals.length < 2) await sleep(5);
    const blockUntil = performance.now() + 400;
    while (performance.now() < blockUntil); // the event loop is blocked: about 20 ticks are missed
    const before = ideals.length;
    while (ideals.length < before + 8) await sleep(20);
    h.cancel();
    const gaps = ideals.slice(1).map((t, i) => Math.round((t - ideals[i]!) / 20));
    expect(gaps.every((g) => g >= 1)).toBe(true);
    // Sent at most maxCatchUpMs worth of missed packets (plus the one due) rather than all ~20.
    expect(ideals.length - before).toBeLessThan(20);
    expect(gaps.some((g) => g > 1)).toBe(true);
  });

  it('a stream whose tick throws keeps its place and the others keep going', async () => {
    const errors: unknown[] = [];
    scheduler = new MediaScheduler({ onError: (e) => errors.push(e) });
    let good = 0;
    scheduler.add({
      tick: () => {
        throw new Error('bad stream');
      },
    });
    scheduler.add({ tick: () => good++ });
    while (good < 5) await sleep(20);
    expect(errors.length).toBeGreaterThanOrEqual(4);
    expect(scheduler.size).toBe(2);
  });

  it('cancel is idempotent, and a closed scheduler refuses streams', () => {
    scheduler = new MediaScheduler();
    const h = scheduler.add({ tick: () => {} });
    h.cancel();
    h.cancel();
    expect(scheduler.size).toBe(0);
    scheduler.close();
    expect(() => scheduler!.add({ tick: () => {} })).toThrow(
      expect.objectContaining({ code: 'MEDIA_SESSION' }),
    );
  });
});
