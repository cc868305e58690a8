import { describe, expect, it } from 'vitest';
import { DialerKeys } from '../../../src/kernel/dialer-keys.js';
import { clusterSlot } from '../../helpers/cluster-slot.js';

const keys = new DialerKeys('{dialer}');

function trunkKeys(k: DialerKeys, trunk: string): string[] {
  return [
    k.queueKey(trunk),
    `${k.queueKey(trunk)}:wait`,
    ...Object.values(k.trunkLimiter(trunk)),
    k.circuit(trunk),
    k.circuitHeld(trunk),
    k.dialFormat(trunk, 'BR'),
  ];
}

describe('DialerKeys hash tags', () => {
  it('computes slots as Redis does (its documented examples)', () => {
    expect(clusterSlot('somekey')).toBe(11058);
    expect(clusterSlot('foo{hash_tag}')).toBe(clusterSlot('hash_tag'));
    expect(clusterSlot('{dialer}:outcomes')).toBe(895);
  });

  it("puts every key of a trunk in one slot, the queue's BullMQ prefix included, apart from the prefix's", () => {
    for (const trunk of ['carrier', 'backup', 'north']) {
      const slots = new Set(trunkKeys(keys, trunk).map(clusterSlot));
      expect(slots.size, trunk).toBe(1);
      expect(keys.queuePrefix(trunk)).toBe(`{dialer:t:${trunk}}`);
      expect(slots.has(clusterSlot(keys.outcomes))).toBe(false);
    }
    const fleet = [
      keys.outcomes,
      keys.outcome('a~+1'),
      keys.campaign('a'),
      keys.campaigns,
      keys.imports,
      keys.workerDialogs('w'),
      keys.audit,
    ];
    expect(new Set(fleet.map(clusterSlot)).size).toBe(1);
  });

  it("puts a number's fence and the attempts of every job dialling it in one slot of the number's own", () => {
    const numbers = ['+5534984149880', '+5534984149881', '+14155550100', '+442071838750'];
    for (const n of numbers) {
      const slot = clusterSlot(keys.liveCall(n));
      expect(keys.numberPrefix(n)).toBe(`{dialer:n:${n}}`);
      for (const jobId of [`a~${n}`, `b~${n}`, 'k~order-1', 'u~x'])
        expect(clusterSlot(keys.attempts(jobId, n)), jobId).toBe(slot);
      expect(clusterSlot(keys.dailyAttempts('2026-12-08', n))).toBe(slot);
      expect(slot).not.toBe(clusterSlot(keys.outcomes));
    }
    // One tag per number: the per-call keys spread over the slots, not onto the fleet's.
    expect(new Set(numbers.map((n) => clusterSlot(keys.liveCall(n)))).size).toBe(numbers.length);
    const plain = new DialerKeys('plain');
    expect(plain.liveCall('+1')).toBe('plain:live:+1');
    expect(plain.attempts('a~+1', '+1')).toBe('plain:attempts:a~+1');
  });

  it('keeps a prefix without braces for every key, and SCAN patterns that find them all', () => {
    const plain = new DialerKeys('plain');
    expect(trunkKeys(plain, 'carrier').every((k) => k.startsWith('plain:'))).toBe(true);
    expect(plain.patterns).toEqual(['plain*']);
    expect(keys.patterns).toEqual(['{dialer}*', '{dialer:t:*', '{dialer:n:*']);
    expect(new DialerKeys('{a*b}').patterns).toEqual(['{a\\*b}*', '{a\\*b:t:*', '{a\\*b:n:*']);
  });
});
