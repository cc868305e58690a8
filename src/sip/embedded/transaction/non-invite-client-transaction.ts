import type { SipResponse } from '../message/sip-message.js';
import type {
  ClientTransaction,
  ClientTransactionInit,
  ClientTransactionUser,
} from './client-transaction.js';
import type { TimerHandle } from './sip-timers.js';

type State = 'trying' | 'proceeding' | 'completed' | 'terminated';

/** Nothing is reported after the final response; this stands in for the user from then on. */
const NO_USER: ClientTransactionUser = {
  onResponse: () => undefined,
  onTimeout: () => undefined,
  onTransportError: () => undefined,
};

/** RFC 3261 §17.1.2: Timer E retransmits (UDP), Timer F gives up, Timer K absorbs late finals. */
export class NonInviteClientTransaction implements ClientTransaction {
  readonly branch: string;
  readonly method: string;
  #state: State = 'trying';
  #lastStatus = 0;
  #timerE: TimerHandle | undefined;
  #timerF: TimerHandle | undefined;
  #timerK: TimerHandle | undefined;
  #interval: number;
  readonly #reliable: boolean;
  /**
   * Not readonly: once the final response is in, the user is let go. Timer K keeps the transaction
   * T4 (5 s) after every BYE, and the user's closures hold the request, the dialog and the caller's
   * state (~3.5 KB of heap a transaction, measured with bench/engine-calls.ts).
   */
  private init: ClientTransactionInit;

  constructor(init: ClientTransactionInit, branch: string) {
    this.init = init;
    this.branch = branch;
    this.method = init.request.method;
    this.#interval = init.timers.t1;
    this.#reliable = init.remote.transport !== 'udp';
  }

  get request() {
    return this.init.request;
  }

  get remote() {
    return this.init.remote;
  }

  get lastStatus(): number {
    return this.#lastStatus;
  }

  start(): void {
    this.#transmit();
    if (!this.#reliable) this.#armE();
    this.#timerF = this.init.clock.setTimer(64 * this.init.timers.t1, () => {
      if (this.#state === 'trying' || this.#state === 'proceeding') {
        this.#terminate();
        this.init.user.onTimeout();
      }
    });
  }

  #armE(): void {
    this.#timerE = this.init.clock.setTimer(this.#interval, () => {
      if (this.#state !== 'trying' && this.#state !== 'proceeding') return;
      this.#transmit();
      // In Proceeding the interval stays at T2; in Trying it doubles up to T2.
      this.#interval =
        this.#state === 'proceeding'
          ? this.init.timers.t2
          : Math.min(this.#interval * 2, this.init.timers.t2);
      this.#armE();
    });
  }

  #transmit(): void {
    this.init.send(this.init.bytes, this.init.remote).catch((error: Error) => {
      if (this.#state === 'terminated' || this.#state === 'completed') return;
      this.#terminate();
      this.init.user.onTransportError(error);
    });
  }

  receive(response: SipResponse): void {
    if (this.#state === 'completed' || this.#state === 'terminated') return;
    this.#lastStatus = Math.max(this.#lastStatus, response.status);
    if (response.status < 200) {
      if (this.#state === 'trying') {
        this.#state = 'proceeding';
        this.#interval = this.init.timers.t2;
      }
      this.init.user.onResponse(response);
      return;
    }
    this.#state = 'completed';
    this.#timerE?.cancel();
    this.#timerF?.cancel();
    const { user } = this.init;
    this.init = { ...this.init, user: NO_USER };
    user.onResponse(response);
    if (this.#reliable) this.#terminate();
    else this.#timerK = this.init.clock.setTimer(this.init.timers.t4, () => this.#terminate());
  }

  abort(error: Error): void {
    if (this.#state !== 'trying' && this.#state !== 'proceeding') return;
    this.#terminate();
    this.init.user.onTransportError(error);
  }

  terminate(): void {
    this.#terminate();
  }

  #terminate(): void {
    if (this.#state === 'terminated') return;
    this.#state = 'terminated';
    this.#timerE?.cancel();
    this.#timerF?.cancel();
    this.#timerK?.cancel();
    this.init.onTerminated();
  }
}
