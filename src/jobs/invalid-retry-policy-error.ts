import { DialerError } from '../kernel/index.js';

/** A retry policy (config or campaign override) with a bad value. Code: `RETRY_POLICY_INVALID`. */
export class InvalidRetryPolicyError extends DialerError {
  readonly code = 'RETRY_POLICY_INVALID';
  readonly field: string;
  readonly value: unknown;

  constructor(field: string, value: unknown, detail: string) {
    super(`${field} ${show(value)}: ${detail}`);
    this.field = field;
    this.value = value;
  }
}

function show(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
