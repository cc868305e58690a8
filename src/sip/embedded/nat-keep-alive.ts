import type { Logger } from '../../log/index.js';
import type { Clock, TimerHandle } from '../clock.js';
import type { RemoteAddress } from './transport/sip-transport.js';

/** RFC 5626 §4.4.1: a double CRLF is a ping no SIP parser takes for a message. */
const PING = Buffer.from('\r\n\r\n', 'latin1');

export interface NatKeepAliveInit {
  readonly clock: Clock;
  readonly intervalMs: number;
  readonly logger: Logger;
  /** Where the trunk is now (DNS answers change). */
  readonly resolve: () => Promise<RemoteAddress>;
  /** Sends bytes from the socket REGISTER and INVITE leave from, so it holds their NAT binding. */
  readonly send: (bytes: Buffer, remote: RemoteAddress) => Promise<void>;
}

/**
 * Keeps a trunk's NAT binding (and its TCP connection) open between calls: a CRLFCRLF every
 * interval, over UDP or TCP alike, from the SIP socket. A failed ping is logged at debug and the
 * next one tries again: the registration refresh is what notices a carrier that is gone.
 */
export class NatKeepAlive {
  readonly #init: NatKeepAliveInit;
  #timer: TimerHandle | undefined;
  #closed = false;
  /** Pings sent so far (the tests and operators read it). */
  sent = 0;

  constructor(init: NatKeepAliveInit) {
    this.#init = init;
    this.#arm();
  }

  #arm(): void {
    if (this.#closed) return;
    this.#timer = this.#init.clock.setTimer(this.#init.intervalMs, () => void this.#ping());
  }

  async #ping(): Promise<void> {
    try {
      await this.#init.send(PING, await this.#init.resolve());
      this.sent += 1;
    } catch (error) {
      this.#init.logger.debug({ err: error }, 'keep-alive ping not sent');
    } finally {
      this.#arm();
    }
  }

  /** Stops pinging. Idempotent. */
  close(): void {
    this.#closed = true;
    this.#timer?.cancel();
  }
}
