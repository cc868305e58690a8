/** A `waitFor` condition did not hold within its timeout; the message names what was awaited. */
export class WaitForTimeoutError extends Error {
  readonly code = 'WAIT_FOR_TIMEOUT';
  readonly what: string;
  readonly timeoutMs: number;

  constructor(what: string, timeoutMs: number) {
    super(`timed out after ${timeoutMs} ms waiting for ${what}`);
    this.name = 'WaitForTimeoutError';
    this.what = what;
    this.timeoutMs = timeoutMs;
  }
}
