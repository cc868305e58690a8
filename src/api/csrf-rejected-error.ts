import { DialerError } from '../kernel/index.js';

/**
 * A console form posted with a browser session but without that session's CSRF token, or with
 * another one: 403. Code: `CSRF_REJECTED`.
 */
export class CsrfRejectedError extends DialerError {
  readonly code = 'CSRF_REJECTED';

  constructor(method: string, route: string, given: 'missing' | 'wrong') {
    super(
      `${method} ${route}: ${given === 'missing' ? 'no' : 'a wrong'} CSRF token (field csrf); reload the page and submit its form again`,
    );
  }
}
