import type { Logger } from '../../log/index.js';
import type { SrfApi, SrfDialog, SrfResponse } from './srf-api.js';

/** Tells drachtio-server to take the dialog's own remote target as the Request-URI. */
const IN_DIALOG_URI = 'sip:placeholder';

/** What became of one dialog the engine tried to end after a reconnect. */
export interface StrandedDialogEnd {
  readonly callId: string;
  /**
   * `ended`: drachtio-server still had it and the far end answered our BYE (`status`);
   * `gone`: drachtio-server no longer had it (the far end hung up meanwhile, or it timed out);
   * `failed`: the BYE could not be sent or got a non-2xx (`status`, `reason`).
   */
  readonly result: 'ended' | 'gone' | 'failed';
  readonly status?: number;
  readonly reason?: string;
}

export interface StrandedDialogsOptions {
  readonly srf: SrfApi;
  readonly logger: Logger;
  /** Told of each outcome (tests and metrics listen). */
  readonly onEnd?: (end: StrandedDialogEnd) => void;
}

/**
 * Answered calls whose control connection dropped. drachtio-server does not end a dialog when its
 * client goes away (client-controller.cpp `leave` only forgets the client), so the callee would
 * stay on the line until its own session timer. The calls were already reported ended; once a
 * connection is back, each dialog gets its BYE through the new connection by its drachtio dialog
 * id (the server sends in-dialog requests for any client that names the dialog).
 */
export class StrandedDialogs {
  readonly #options: StrandedDialogsOptions;
  readonly #waiting = new Map<string, SrfDialog>();
  readonly #sending = new Map<string, SrfDialog>();

  constructor(options: StrandedDialogsOptions) {
    this.#options = options;
  }

  /** Dialogs still waiting for their BYE. */
  get size(): number {
    return this.#waiting.size + this.#sending.size;
  }

  add(dialog: SrfDialog): void {
    this.#waiting.set(dialog.id, dialog);
  }

  /** The connection is up: send every waiting dialog its BYE. */
  endAll(): void {
    for (const [id, dialog] of [...this.#waiting]) {
      this.#waiting.delete(id);
      this.#sending.set(id, dialog);
      this.#sendBye(id, dialog);
    }
  }

  /** The connection dropped again: BYEs in flight will get no answer; send them on the next one. */
  connectionLost(): void {
    for (const [id, dialog] of [...this.#sending]) {
      this.#sending.delete(id);
      this.#waiting.set(id, dialog);
    }
  }

  /** The engine closes: nothing will reconnect to end them. Idempotent. */
  close(): void {
    if (this.size > 0) {
      this.#options.logger.warn(
        { dialogs: this.size },
        'closing with answered calls drachtio-server may still hold (the control connection never came back)',
      );
    }
    this.#waiting.clear();
    this.#sending.clear();
  }

  #sendBye(id: string, dialog: SrfDialog): void {
    const { srf } = this.#options;
    const callId = dialog.sip.callId;
    const done = (end: Omit<StrandedDialogEnd, 'callId'>): void => {
      if (this.#sending.get(id) !== dialog) return;
      this.#sending.delete(id);
      // drachtio-srf still maps the id to the old Dialog object; a request for it would reach a
      // leg that has already ended.
      srf.removeDialog(dialog);
      dialog.removeAllListeners();
      const outcome = { callId, ...end };
      if (end.result === 'failed')
        this.#options.logger.warn(outcome, 'could not end a dialog after reconnecting');
      else
        this.#options.logger.info(
          outcome,
          'ended a dialog drachtio-server kept after the connection dropped',
        );
      this.#options.onEnd?.(outcome);
    };
    try {
      srf.request(IN_DIALOG_URI, { method: 'BYE', stackDialogId: id }, (err, req) => {
        if (err || !req) {
          const code = (err as NodeJS.ErrnoException | null)?.code;
          if (code === 'ENODIALOG') done({ result: 'gone', reason: err?.message ?? 'no such dialog' });
          else done({ result: 'failed', reason: err?.message ?? 'no request' });
          return;
        }
        req.on('response', (res: SrfResponse) => {
          if (res.status >= 200 && res.status < 300) done({ result: 'ended', status: res.status });
          // 481: the far end no longer knows the call either; nothing is left to end.
          else if (res.status === 481) done({ result: 'gone', status: res.status, reason: res.reason });
          else done({ result: 'failed', status: res.status, reason: res.reason });
        });
      });
    } catch (error) {
      done({ result: 'failed', reason: error instanceof Error ? error.message : String(error) });
    }
  }
}
