import { DialerError } from '../kernel/index.js';

/** A calling window or time zone that cannot be used. Code: `CALLING_WINDOW_INVALID`. */
export class InvalidCallingWindowError extends DialerError {
  readonly code = 'CALLING_WINDOW_INVALID';

  constructor(
    readonly field: string,
    readonly value: unknown,
    reason: string,
  ) {
    super(`${field} ${show(value)}: ${reason}`);
  }
}

function show(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
