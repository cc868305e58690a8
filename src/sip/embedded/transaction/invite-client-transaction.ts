import { createRequest, type SipResponse } from '../message/sip-message.js';
import { serializeMessage } from '../message/serialize-message.js';
import { buildNon2xxAck } from './build-non2xx-ack.js';
import type { ClientTransaction, ClientTransactionInit } from './client-transaction.js';
import type { TimerHandle } from './sip-timers.js';

type State = 'calling' | 'proceeding' | 'completed' | 'accepted' | 'terminated';

const EMPTY = Buffer.alloc(0);
const SPENT_REQUEST = createRequest('INVITE', 'sip:spent.invalid');
const noop = (): void => undefined;

/**
 * RFC 3261 §17.1.1 with the RFC 6026 Accepted state: Timer A retransmits (UDP), Timer B gives up
 * while nothing came back, non-2xx finals are ACKed here (and re-ACKed when retransmitted),
 * 2xx finals and their retransmissions go up to the dialog, which ACKs them (§13.2.2.4).
 */
export class InviteClientTransaction implements ClientTransaction {
  readonly branch: string;
  readonly method = 'INVITE';
  #state: State = 'calling';
  #lastStatus = 0;
  #timerA: TimerHandle | undefined;
  #timerB: TimerHandle | undefined;
  #timerEnd: TimerHandle | undefined;
  #interval: number;
  #ackBytes: Buffer | undefined;
  readonly #reliable: boolean;

  /** Not readonly: in the Accepted state the user is swapped for `onLate2xx` (see ClientTransactionInit). */
  private init: ClientTransactionInit;

  constructor(init: ClientTransactionInit, branch: string) {
    this.init = init;
    this.branch = branch;
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

  /** True once a provisional or final response came back: CANCEL is allowed (§9.1). */
  get heardBack(): boolean {
    return this.#state !== 'calling';
  }

  start(): void {
    this.#transmit(this.init.bytes);
    if (!this.#reliable) this.#armA();
    this.#timerB = this.init.clock.setTimer(64 * this.init.timers.t1, () => {
      if (this.#state !== 'calling') return;
      this.#terminate();
      this.init.user.onTimeout();
    });
  }

  #armA(): void {
    this.#timerA = this.init.clock.setTimer(this.#interval, () => {
      if (this.#state !== 'calling') return;
      this.#transmit(this.init.bytes);
      this.#interval *= 2;
      this.#armA();
    });
  }

  #transmit(bytes: Buffer): void {
    this.init.send(bytes, this.init.remote).catch((error: Error) => {
      if (this.#state !== 'calling' && this.#state !== 'proceeding') return;
      this.#terminate();
      this.init.user.onTransportError(error);
    });
  }

  receive(response: SipResponse): void {
    const status = response.status;
    switch (this.#state) {
      case 'calling':
      case 'proceeding':
        this.#lastStatus = Math.max(this.#lastStatus, status);
        this.#timerA?.cancel();
        if (status < 200) {
          this.#state = 'proceeding';
          this.#timerB?.cancel();
          this.init.user.onResponse(response);
        } else if (status < 300) {
          this.#enterEnd('accepted', 64 * this.init.timers.t1);
          const { user, onLate2xx } = this.init;
          if (onLate2xx) {
            // Thousands of answered calls a second each linger 64·T1 here: keep nothing but the branch.
            this.init = {
              ...this.init,
              request: SPENT_REQUEST,
              bytes: EMPTY,
              user: { onResponse: onLate2xx, onTimeout: noop, onTransportError: noop },
            };
          }
          user.onResponse(response);
        } else {
          this.#ackBytes = serializeMessage(buildNon2xxAck(this.init.request, response));
          this.#transmit(this.#ackBytes);
          this.#enterEnd('completed', this.#reliable ? 0 : 32_000);
          this.init.user.onResponse(response);
        }
        return;
      case 'accepted':
        if (status >= 200 && status < 300) this.init.user.onResponse(response);
        return;
      case 'completed':
        if (status >= 300 && this.#ackBytes) this.#transmit(this.#ackBytes);
        return;
      case 'terminated':
        return;
    }
  }

  #enterEnd(state: 'accepted' | 'completed', lingerMs: number): void {
    this.#state = state;
    this.#timerB?.cancel();
    if (lingerMs === 0) this.#terminate();
    else this.#timerEnd = this.init.clock.setTimer(lingerMs, () => this.#terminate());
  }

  abort(error: Error): void {
    if (this.#state !== 'calling' && this.#state !== 'proceeding') return;
    this.#terminate();
    this.init.user.onTransportError(error);
  }

  terminate(): void {
    this.#terminate();
  }

  #terminate(): void {
    if (this.#state === 'terminated') return;
    this.#state = 'terminated';
    this.#timerA?.cancel();
    this.#timerB?.cancel();
    this.#timerEnd?.cancel();
    this.init.onTerminated();
  }
}
