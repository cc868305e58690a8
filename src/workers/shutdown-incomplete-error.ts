import { DialerError } from '../kernel/index.js';

/**
 * A worker stopped without handing every job back to the queue (Redis did not answer in time);
 * the message lists them. Nothing is lost: each is taken again once its lock lapses. Stable code:
 * `SHUTDOWN_INCOMPLETE`.
 */
export class ShutdownIncompleteError extends DialerError {
  readonly code = 'SHUTDOWN_INCOMPLETE';

  constructor(readonly jobIds: readonly string[]) {
    super(
      `stopped without handing ${jobIds.length} job(s) back to the queue: ${jobIds.join(', ')}; another worker takes them once their lock lapses`,
    );
  }
}
