import { describe, expect, it } from 'vitest';
import { RecentReads } from '../../../src/api/recent-reads.js';

describe('RecentReads', () => {
  it('shares a read within its time to live, per key, and reads again after it', async () => {
    const reads = new RecentReads<number>(10_000);
    let calls = 0;
    const read = async () => ++calls;
    expect(await reads.get('a', read, 0)).toBe(1);
    expect(await reads.get('a', read, 9_999)).toBe(1);
    expect(await reads.get('b', read, 9_999)).toBe(2);
    expect(await reads.get('a', read, 10_000)).toBe(3);
  });

  it('shares a read in flight, and forgets a failed one at once', async () => {
    const reads = new RecentReads<string>(10_000);
    let calls = 0;
    const failing = async () => {
      calls += 1;
      throw new Error('redis went away');
    };
    const [a, b] = [reads.get('k', failing, 0), reads.get('k', failing, 1)];
    await expect(a).rejects.toThrow('redis went away');
    await expect(b).rejects.toThrow('redis went away');
    expect(calls).toBe(1);
    expect(await reads.get('k', async () => 'ok', 2)).toBe('ok');
  });

  it('keeps at most maxKeys, dropping the oldest', async () => {
    const reads = new RecentReads<string>(10_000, 2);
    for (const k of ['a', 'b', 'c']) await reads.get(k, async () => `${k}1`, 0);
    expect(await reads.get('c', async () => 'c2', 1)).toBe('c1');
    expect(await reads.get('a', async () => 'a2', 1)).toBe('a2');
  });
});
