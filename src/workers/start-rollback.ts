import type { Logger } from '../log/index.js';
import { SHUTDOWN_BOUNDS } from './shutdown-bounds.js';
import { withinDeadline } from './within-deadline.js';

/**
 * What a start has opened so far, closed last-first when a later step fails: a worker whose start
 * failed must exit, and any Redis connection, socket or timer left open would keep it running.
 */
export class StartRollback {
  readonly #steps: Array<{ name: string; close: () => Promise<void> | void }> = [];
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  push(name: string, close: () => Promise<void> | void): void {
    this.#steps.push({ name, close });
  }

  /** Closes everything pushed, each within SHUTDOWN_BOUNDS.stepMs; never throws. Idempotent. */
  async run(): Promise<void> {
    for (const step of this.#steps.splice(0).reverse()) {
      try {
        if (!(await withinDeadline(Promise.resolve().then(step.close), SHUTDOWN_BOUNDS.stepMs)))
          this.#logger.warn({ step: step.name }, 'failed start: closing this took too long; left behind');
      } catch (error) {
        this.#logger.warn({ step: step.name, err: error }, 'failed start: could not close this');
      }
    }
  }
}
