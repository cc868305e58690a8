import { DialerError } from '../kernel/index.js';

/** A dial string or domain that cannot go into a Request-URI. Code: `REQUEST_URI_INVALID`. */
export class InvalidRequestUriError extends DialerError {
  readonly code = 'REQUEST_URI_INVALID';
  readonly field: 'dialString' | 'domain';
  readonly value: string;

  constructor(field: 'dialString' | 'domain', value: string, detail: string) {
    super(`${field} ${JSON.stringify(value)}: ${detail}`);
    this.field = field;
    this.value = value;
  }
}
