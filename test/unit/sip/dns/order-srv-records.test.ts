import { describe, expect, it } from 'vitest';
import { orderSrvRecords } from '../../../../src/sip/embedded/dns/index.js';

const rec = (name: string, priority: number, weight: number) => ({ name, priority, weight });
const names = (records: Array<{ name: string }>) => records.map((record) => record.name);

/** A `random` that returns the given values in turn. */
function sequence(...values: number[]): () => number {
  let index = 0;
  return () => values[index++] ?? 0;
}

describe('orderSrvRecords', () => {
  it('puts lower priorities first whatever the weights', () => {
    const records = [rec('c', 30, 100), rec('a', 10, 1), rec('b', 20, 1000)];
    expect(names(orderSrvRecords(records, () => 0.999))).toStrictEqual(['a', 'b', 'c']);
  });

  it('picks within a priority in proportion to weight', () => {
    const records = [rec('light', 10, 1), rec('heavy', 10, 3)];
    // Draw over [0, 4): below 1 lands on light, from 1 up on heavy.
    expect(names(orderSrvRecords(records, sequence(0.2, 0)))).toStrictEqual(['light', 'heavy']);
    expect(names(orderSrvRecords(records, sequence(0.25, 0)))).toStrictEqual(['heavy', 'light']);
  });

  it('gives exact shares over all draws (no extra share for the first record)', () => {
    const records = [rec('a', 10, 1), rec('b', 10, 1)];
    const firsts = { a: 0, b: 0 };
    for (let step = 0; step < 1000; step += 1) {
      const first = orderSrvRecords(records, sequence(step / 1000, 0))[0]?.name as 'a' | 'b';
      firsts[first] += 1;
    }
    expect(firsts).toStrictEqual({ a: 500, b: 500 });
  });

  it('tries weight-0 records after the weighted ones of the same priority', () => {
    const records = [rec('zero', 10, 0), rec('some', 10, 5), rec('later', 20, 0)];
    expect(names(orderSrvRecords(records, () => 0))).toStrictEqual(['some', 'zero', 'later']);
  });

  it('shuffles records that all have weight 0', () => {
    const records = [rec('x', 10, 0), rec('y', 10, 0)];
    expect(names(orderSrvRecords(records, sequence(0.9, 0)))).toStrictEqual(['y', 'x']);
    expect(names(orderSrvRecords(records, sequence(0.1, 0)))).toStrictEqual(['x', 'y']);
  });

  it('returns every record exactly once', () => {
    const records = Array.from({ length: 20 }, (_, index) => rec(`r${index}`, index % 3, index % 4));
    const ordered = orderSrvRecords(records);
    expect(new Set(ordered).size).toBe(records.length);
    expect(ordered.map((record) => record.priority)).toStrictEqual(
      [...ordered.map((r) => r.priority)].sort((a, b) => a - b),
    );
  });
});
