import { afterEach, describe, expect, it, vi } from 'vitest';
import { DtmfCollector } from '../../../src/media/index.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('DtmfCollector', () => {
  it('ends at maxDigits', async () => {
    const c = new DtmfCollector({ maxDigits: 3, timeoutMs: 1000 });
    for (const d of '1234') c.push(d);
    expect(await c.wait()).toBe('max-digits');
    expect(c.digits).toBe('123');
  });

  it('ends at the terminator, which is not part of the digits', async () => {
    const c = new DtmfCollector({ maxDigits: 10, timeoutMs: 1000, terminator: '#' });
    for (const d of '42#9') c.push(d);
    expect(await c.wait()).toBe('terminator');
    expect(c.digits).toBe('42');
  });

  it('the timeout starts at wait() and each digit restarts it', async () => {
    vi.useFakeTimers();
    const c = new DtmfCollector({ maxDigits: 10, timeoutMs: 1000 });
    c.push('1'); // before wait(): no timer yet
    await vi.advanceTimersByTimeAsync(5000);
    expect(c.end).toBeUndefined();
    const ended = c.wait();
    await vi.advanceTimersByTimeAsync(900);
    c.push('2');
    await vi.advanceTimersByTimeAsync(900);
    expect(c.end).toBeUndefined();
    await vi.advanceTimersByTimeAsync(100);
    expect(await ended).toBe('timeout');
    expect(c.digits).toBe('12');
  });

  it('close() ends it as stopped; firstDigit resolves on the first digit', async () => {
    const c = new DtmfCollector({ maxDigits: 2, timeoutMs: 1000 });
    let first = false;
    void c.firstDigit.then(() => (first = true));
    await Promise.resolve();
    expect(first).toBe(false);
    c.push('5');
    await Promise.resolve();
    expect(first).toBe(true);
    c.close();
    expect(await c.wait()).toBe('stopped');
    c.push('6');
    expect(c.digits).toBe('5');
  });

  it('names the bad option', () => {
    expect(() => new DtmfCollector({ maxDigits: 0, timeoutMs: 1 })).toThrow(/collect.maxDigits .* got 0/);
    expect(() => new DtmfCollector({ maxDigits: 1, timeoutMs: -1 })).toThrow(/collect.timeoutMs .* got -1/);
  });
});
