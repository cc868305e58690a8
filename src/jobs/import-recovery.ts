import type { Logger } from '../log/index.js';
import type { CampaignStore } from './campaign-store.js';
import type { DialerClient } from './dialer-client.js';
import { recoverInterruptedImports } from './recover-interrupted-imports.js';

export interface ImportRecoveryOptions {
  readonly client: DialerClient;
  readonly store: CampaignStore;
  readonly logger: Logger;
  /** How often to look for imports whose process died. Default: 60 s. */
  readonly intervalMs?: number;
}

/**
 * Runs `recoverInterruptedImports` now and on a timer, so an import whose process died is taken
 * back (and its campaign says so) without waiting for the next import into any campaign.
 */
export class ImportRecovery {
  readonly #o: ImportRecoveryOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #closed = false;

  constructor(options: ImportRecoveryOptions) {
    this.#o = options;
  }

  start(): void {
    if (this.#closed || this.#timer !== undefined) return;
    this.#pass();
    this.#timer = setInterval(() => this.#pass(), this.#o.intervalMs ?? 60_000);
    this.#timer.unref();
  }

  #pass(): void {
    // One pass at a time: a slow Redis must not pile them up.
    if (this.#running !== undefined) return;
    this.#running = recoverInterruptedImports({ client: this.#o.client, store: this.#o.store })
      .then((ids) => {
        if (ids.length > 0) this.#o.logger.warn({ imports: ids }, 'interrupted imports taken back');
      })
      .catch((error: unknown) => {
        // Redis away: the next pass tries again; the imports stay gated meanwhile.
        this.#o.logger.warn(
          { reason: error instanceof Error ? error.message : String(error) },
          'import recovery failed',
        );
      })
      .finally(() => {
        this.#running = undefined;
      });
  }

  /** Stops the timer and waits for a pass under way. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#running;
  }
}
