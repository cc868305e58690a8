import { DialerError } from '../kernel/index.js';

/** A request the API refuses before doing anything: 400. Code: `API_REQUEST_INVALID`. */
export class ApiRequestError extends DialerError {
  readonly code = 'API_REQUEST_INVALID';

  constructor(
    readonly field: string,
    readonly value: unknown,
    readonly reason: string,
  ) {
    super(`${field} ${JSON.stringify(typeof value === 'string' ? value.slice(0, 100) : value)}: ${reason}`);
  }
}
