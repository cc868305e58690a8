import type { SipRequest, SipResponse } from '../message/sip-message.js';
import type { RemoteAddress } from '../transport/sip-transport.js';
import type { Clock, SipTimerValues } from './sip-timers.js';

/** What a client transaction tells the layer above it (the transaction user). */
export interface ClientTransactionUser {
  /** A response to pass up: provisionals, the final one, and (INVITE) retransmitted 2xx. */
  onResponse(response: SipResponse): void;
  /** Timer B or F fired: treat as a 408 from nowhere. */
  onTimeout(): void;
  /** The message could not be sent: treat as a 503 (RFC 3261 §8.1.3.1). */
  onTransportError(error: Error): void;
}

export interface ClientTransactionInit {
  readonly request: SipRequest;
  readonly bytes: Buffer;
  readonly remote: RemoteAddress;
  readonly send: (bytes: Buffer, to: RemoteAddress) => Promise<void>;
  readonly timers: SipTimerValues;
  readonly clock: Clock;
  readonly user: ClientTransactionUser;
  /** Called once when the transaction is over, so the layer can forget it. */
  readonly onTerminated: () => void;
  /**
   * INVITE only: where 2xx retransmissions go once the first 2xx has gone up (RFC 6026 Accepted).
   * The user is let go then: its closures hold the whole call attempt for 64·T1. Default: the user.
   */
  readonly onLate2xx?: (response: SipResponse) => void;
}

export interface ClientTransaction {
  readonly branch: string;
  readonly method: string;
  readonly request: SipRequest;
  readonly remote: RemoteAddress;
  /** Highest status seen so far (0 before any response). */
  readonly lastStatus: number;
  start(): void;
  receive(response: SipResponse): void;
  /** Stops every timer without telling the user (engine shutdown). */
  terminate(): void;
  /**
   * The connection the request went on is gone before a final response (TLS/TCP: the answer
   * could only have come on it): ends like a failed send, at once rather than at Timer B/F.
   */
  abort(error: Error): void;
}
