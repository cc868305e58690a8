import type { ApiRole } from '../config/index.js';
import { DialerError } from '../kernel/index.js';

/** A known token whose role may not do this: 403. Code: `FORBIDDEN`. */
export class ForbiddenError extends DialerError {
  readonly code = 'FORBIDDEN';

  constructor(
    readonly role: ApiRole,
    readonly needed: ApiRole,
    method: string,
    route: string,
  ) {
    super(`${method} ${route} needs role ${needed} (this token is ${role})`);
  }
}
