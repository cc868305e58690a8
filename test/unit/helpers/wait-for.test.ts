import { describe, expect, it } from 'vitest';
import { waitFor, WaitForTimeoutError } from '../../helpers/wait-for.js';

describe('waitFor', () => {
  it('returns the first value that is not false, undefined or null', async () => {
    let calls = 0;
    const found = await waitFor(() => (++calls >= 3 ? { calls } : undefined), {
      what: 'three calls',
      intervalMs: 1,
    });
    expect(found).toEqual({ calls: 3 });
  });

  it('awaits async checks', async () => {
    let calls = 0;
    expect(await waitFor(async () => ++calls === 2, { what: 'two calls', intervalMs: 1 })).toBe(true);
  });

  it('names what it waited for when time runs out', async () => {
    const error = await waitFor(() => false, { what: 'the moon', timeoutMs: 20, intervalMs: 5 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(WaitForTimeoutError);
    expect((error as WaitForTimeoutError).code).toBe('WAIT_FOR_TIMEOUT');
    expect((error as Error).message).toContain('waiting for the moon');
  });

  it('fails at once when the check throws', async () => {
    let calls = 0;
    await expect(
      waitFor(
        () => {
          calls++;
          throw new Error('broken check');
        },
        { what: 'x' },
      ),
    ).rejects.toThrow('broken check');
    expect(calls).toBe(1);
  });
});
