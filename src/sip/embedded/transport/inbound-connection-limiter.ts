import type { Socket } from 'node:net';
import type { Logger } from '../../../log/index.js';
import { remoteKey, type RemoteAddress } from './sip-transport.js';
import type { TcpCloseReason, TcpLimits } from './tcp-limits.js';

/**
 * The bounds on connections others open to one of our listeners (TCP, TLS): how many in all and
 * per remote address (more are closed at once), and, for the listener's idle timer, what closing
 * one for a limit counts. Without limits everything is admitted.
 */
export class InboundConnectionLimiter {
  readonly #limits: TcpLimits | undefined;
  readonly #logger: Logger;
  /** `tcp` or `tls`, for the log line. */
  readonly #what: string;
  readonly #perAddress = new Map<string, number>();
  #total = 0;
  readonly #closes: Record<TcpCloseReason, number> = { idle: 0, 'per-address': 0, total: 0 };

  constructor(limits: TcpLimits | undefined, logger: Logger, what: string) {
    this.#limits = limits;
    this.#logger = logger;
    this.#what = what;
  }

  /** An accepted connection with no complete message for this long is closed; undefined: never. */
  get idleTimeoutMs(): number | undefined {
    return this.#limits?.idleTimeoutMs;
  }

  /** Accepted connections closed because a limit was hit, by limit. */
  get closes(): Readonly<Record<TcpCloseReason, number>> {
    return this.#closes;
  }

  /** Counts `socket` in (until it closes), or closes it when a bound is reached; false then. */
  admit(socket: Socket, remote: RemoteAddress): boolean {
    const limits = this.#limits;
    if (!limits) return true;
    const perAddress = this.#perAddress.get(remote.address) ?? 0;
    const reason: TcpCloseReason | undefined =
      this.#total >= limits.maxConnections
        ? 'total'
        : perAddress >= limits.maxConnectionsPerAddress
          ? 'per-address'
          : undefined;
    if (reason) {
      this.closeForLimit(socket, remote, reason);
      return false;
    }
    this.#perAddress.set(remote.address, perAddress + 1);
    this.#total += 1;
    socket.once('close', () => {
      this.#total -= 1;
      const left = (this.#perAddress.get(remote.address) ?? 1) - 1;
      if (left > 0) this.#perAddress.set(remote.address, left);
      else this.#perAddress.delete(remote.address);
    });
    return true;
  }

  closeForLimit(socket: Socket, remote: RemoteAddress, reason: TcpCloseReason): void {
    this.#closes[reason] += 1;
    this.#logger.debug(
      { remote: remoteKey(remote), reason },
      `closed inbound SIP ${this.#what.toUpperCase()} connection`,
    );
    socket.destroy();
  }
}
