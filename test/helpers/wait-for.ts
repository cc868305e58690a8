import { WaitForTimeoutError } from './wait-for-timeout-error.js';

export { WaitForTimeoutError } from './wait-for-timeout-error.js';

export interface WaitForOptions {
  /** What is awaited, as the timeout error should name it. */
  readonly what: string;
  /** Give up after this long. Generous by default: tests share a loaded 2-core machine. */
  readonly timeoutMs?: number;
  /** Pause between checks. */
  readonly intervalMs?: number;
}

type Found<T> = Exclude<T, false | undefined | null>;

/**
 * The one poll loop of the tests: calls `check` until it returns something other than `false`,
 * `undefined` or `null`, and returns that. The deadline only bounds the wait; it is never what a
 * test asserts. A check that throws fails the wait at once, as an assertion would.
 */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  { what, timeoutMs = 30_000, intervalMs = 50 }: WaitForOptions,
): Promise<Found<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== false && value !== undefined && value !== null) return value as Found<T>;
    if (Date.now() >= deadline) throw new WaitForTimeoutError(what, timeoutMs);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
