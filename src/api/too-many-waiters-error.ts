import { DialerError } from '../kernel/index.js';

/** Every long-poll slot (`api.maxWaiters`) is taken: 429. Code: `TOO_MANY_WAITERS`. */
export class TooManyWaitersError extends DialerError {
  readonly code = 'TOO_MANY_WAITERS';

  constructor(readonly maxWaiters: number) {
    super(
      `${maxWaiters} long polls are already waiting (api.maxWaiters); retry shortly or poll without ?wait=`,
    );
  }
}
