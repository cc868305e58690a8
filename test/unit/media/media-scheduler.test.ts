import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { MediaScheduler } from '../../../src/media/index.js';
import { waitFor } from '../../helpers/wait-for.js';

let scheduler: MediaScheduler | undefined;
afterEach(() => scheduler?.close());

describe('MediaScheduler', () => {
  it('ticks each stream at exact multiples of the period from its start (ideal times never drift)', async () => {
    // No skipping here: a loaded machine may stall this process past the default catch-up limit,
    // and a skip is the next test's subject, not a drift.
    scheduler = new MediaScheduler({ maxCatchUpMs: 60_000 });
    const ideals: number[][] = [[], [], []];
    const start = performance.now();
    const handles = ideals.map((list, i) =>
      scheduler!.add({ tick: (ideal) => list.push(ideal) }, start + i * 7),
    );
    await waitFor(() => ideals[2]!.length >= 10, { what: 'ten ticks of the third stream' });
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
    await waitFor(() => n >= 10, { what: 'ten ticks' });
    h.cancel();
    expect(early).toEqual([]);
  });

  it('after a stall longer than maxCatchUpMs, skips whole periods instead of bursting them', async () => {
    scheduler = new MediaScheduler({ maxCatchUpMs: 100 });
    const ideals: number[] = [];
    const h = scheduler.add({ tick: (ideal) => ideals.push(ideal) });
    await waitFor(() => ideals.length >= 2, { what: 'two ticks', intervalMs: 5 });
    // The stall is measured from the schedule, not from when this line runs: the event loop is
    // blocked until 400 ms past the last tick's due time, so about 20 ticks are missed however
    // late a loaded machine got here.
    const before = ideals.length;
    const blockUntil = ideals[before - 1]! + 400;
    while (performance.now() < blockUntil);
    // A tick due after the stall ended proves the catch-up is over.
    await waitFor(() => ideals.some((ideal) => ideal > blockUntil), { what: 'a tick due after the stall' });
    h.cancel();
    const gaps = ideals.slice(1).map((t, i) => Math.round((t - ideals[i]!) / 20));
    expect(gaps.every((g) => g >= 1)).toBe(true);
    expect(gaps.some((g) => g > 1)).toBe(true);
    // Of the ~20 ticks the stall missed, at most maxCatchUpMs worth (plus the one due and the one
    // the skip lands on) were sent late, rather than all of them.
    const sentLate = ideals.slice(before).filter((ideal) => ideal <= blockUntil).length;
    expect(sentLate).toBeLessThanOrEqual(100 / 20 + 2);
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
    await waitFor(() => good >= 5, { what: 'five ticks of the good stream' });
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
