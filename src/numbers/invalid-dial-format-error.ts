import { DialerError } from '../kernel/index.js';

/** A dial format spec (trunk config) that names no known format or has a bad prefix. Code: `DIAL_FORMAT_INVALID`. */
export class InvalidDialFormatError extends DialerError {
  readonly code = 'DIAL_FORMAT_INVALID';
  readonly field: string;
  readonly value: unknown;

  constructor(field: string, value: unknown, detail: string) {
    super(`${field} ${safeJson(value)}: ${detail}`);
    this.field = field;
    this.value = value;
  }
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
