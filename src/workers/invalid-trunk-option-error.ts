import { DialerError } from '../kernel/index.js';

/**
 * A trunk limiter or circuit breaker was built with an option it cannot work with (a cap that is
 * not a positive number, an empty trunk name...). Names the option and the value.
 * Stable code: `TRUNK_INVALID_OPTION`.
 */
export class InvalidTrunkOptionError extends DialerError {
  readonly code = 'TRUNK_INVALID_OPTION';
  readonly field: string;
  readonly value: unknown;

  constructor(field: string, value: unknown, expected: string) {
    super(`invalid ${field}: ${JSON.stringify(value) ?? String(value)} (expected ${expected})`);
    this.field = field;
    this.value = value;
  }
}
