import type { Logger } from '../../log/index.js';
import { parseCSeq } from './message/parse-cseq.js';
import { parseVia } from './message/parse-via.js';
import type { SipMessage, SipRequest, SipResponse } from './message/sip-message.js';
import { serializeMessage } from './message/serialize-message.js';
import { isSamePeer } from './peer-match.js';
import type { SipTraceSink } from './sip-trace.js';
import { SpoofedMessageLog } from './spoofed-message-log.js';
import { newBranch } from './transaction/branch.js';
import type { ClientTransaction, ClientTransactionUser } from './transaction/client-transaction.js';
import { InviteClientTransaction } from './transaction/invite-client-transaction.js';
import { NonInviteClientTransaction } from './transaction/non-invite-client-transaction.js';
import type { Clock, SipTimerValues } from './transaction/sip-timers.js';
import { SipTransportError } from './transport/sip-transport-error.js';
import type { RemoteAddress, SipTransport, TransportKind } from './transport/sip-transport.js';

export interface SipStackOptions {
  readonly transports: ReadonlyMap<TransportKind, SipTransport>;
  /** Address advertised in Via and Contact (public address behind NAT, else the bound one). */
  readonly advertisedHost: string;
  readonly timers: SipTimerValues;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly trace?: SipTraceSink | undefined;
  /** Where responses from the wrong source are counted and logged. Default: a log of its own. */
  readonly spoofed?: SpoofedMessageLog;
  /** A trunk's resolved address: its responses are believed whichever request they answer. */
  readonly isTrunkAddress?: (source: RemoteAddress) => boolean;
}

/** Handlers the engine installs for what no client transaction claims. */
export interface SipStackHandlers {
  onRequest(request: SipRequest, remote: RemoteAddress): void;
  /** A 2xx to an INVITE whose transaction is gone: the dialog must ACK it again. */
  onStray2xx(response: SipResponse, remote: RemoteAddress): void;
}

/**
 * The transport and transaction layers: stamps the Via, runs client transactions, matches
 * responses to them by branch and method (RFC 3261 §17.1.3), passes requests up.
 */
export class SipStack {
  readonly #transactions = new Map<string, ClientTransaction>();
  readonly #options: SipStackOptions;
  readonly #spoofed: SpoofedMessageLog;
  #handlers: SipStackHandlers | undefined;
  #strayResponses = 0;
  #closed = false;

  constructor(options: SipStackOptions) {
    this.#options = options;
    this.#spoofed = options.spoofed ?? new SpoofedMessageLog(options.logger, options.clock);
    for (const transport of options.transports.values()) {
      transport.on('message', (message, remote, raw) => this.#receive(message, remote, raw));
    }
  }

  setHandlers(handlers: SipStackHandlers): void {
    this.#handlers = handlers;
  }

  get timers(): SipTimerValues {
    return this.#options.timers;
  }

  get clock(): Clock {
    return this.#options.clock;
  }

  get strayResponses(): number {
    return this.#strayResponses;
  }

  get malformedCount(): number {
    let count = 0;
    for (const transport of this.#options.transports.values()) count += transport.malformedCount;
    return count;
  }

  get activeTransactions(): number {
    return this.#transactions.size;
  }

  /** `host:port` for Via sent-by and Contact on this transport. */
  sentBy(kind: TransportKind): string {
    const port = this.#transport(kind).localPort;
    const host = this.#options.advertisedHost;
    return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  }

  /** Adds our Via on top (new branch) and starts a client transaction. */
  startTransaction(
    request: SipRequest,
    remote: RemoteAddress,
    user: ClientTransactionUser,
    branch = newBranch(),
  ): ClientTransaction {
    if (this.#closed) throw new SipTransportError('SIP stack is closed');
    const transportName = remote.transport.toUpperCase();
    request.headers.prepend(
      'Via',
      `SIP/2.0/${transportName} ${this.sentBy(remote.transport)};rport;branch=${branch}`,
    );
    const bytes = serializeMessage(request);
    const key = transactionKey(branch, request.method);
    const init = {
      request,
      bytes,
      remote,
      send: (data: Buffer, to: RemoteAddress) => this.send(data, to),
      timers: this.#options.timers,
      clock: this.#options.clock,
      user,
      onTerminated: () => {
        if (this.#transactions.get(key) === transaction) this.#transactions.delete(key);
      },
      onLate2xx: (response: SipResponse) => this.#handlers?.onStray2xx(response, remote),
    };
    const transaction: ClientTransaction =
      request.method === 'INVITE'
        ? new InviteClientTransaction(init, branch)
        : new NonInviteClientTransaction(init, branch);
    this.#transactions.set(key, transaction);
    transaction.start();
    return transaction;
  }

  /** Sends a message outside any client transaction (ACK for 2xx, responses). */
  sendMessage(message: SipMessage, remote: RemoteAddress): Promise<void> {
    return this.send(serializeMessage(message), remote);
  }

  send(data: Buffer, remote: RemoteAddress): Promise<void> {
    if (this.#closed) return Promise.reject(new SipTransportError('SIP stack is closed'));
    this.#options.trace?.({ direction: 'sent', remote, at: Date.now(), raw: data });
    return this.#transport(remote.transport).send(data, remote);
  }

  #transport(kind: TransportKind): SipTransport {
    const transport = this.#options.transports.get(kind);
    if (!transport) throw new SipTransportError(`no ${kind} transport is bound`);
    return transport;
  }

  #receive(message: SipMessage, remote: RemoteAddress, raw: Buffer): void {
    this.#options.trace?.({ direction: 'received', remote, at: Date.now(), raw });
    try {
      if (message.type === 'request') {
        this.#handlers?.onRequest(message, remote);
        return;
      }
      this.#receiveResponse(message, remote);
    } catch (error) {
      // Whatever a peer sends, the stack stays up: log and drop.
      this.#options.logger.warn(
        { err: error, remote: `${remote.address}:${remote.port}` },
        'dropped SIP message that could not be handled',
      );
    }
  }

  #receiveResponse(response: SipResponse, remote: RemoteAddress): void {
    const topVia = response.headers.get('Via');
    const cseq = response.headers.get('CSeq');
    if (topVia === undefined || cseq === undefined) {
      this.#strayResponses += 1;
      return;
    }
    const branch = parseVia(topVia).params.get('branch') ?? '';
    const method = parseCSeq(cseq).method;
    const transaction = this.#transactions.get(transactionKey(branch, method));
    if (transaction) {
      // The branch is in clear in the request: anyone who saw it (or guesses a stray one) could
      // answer for the carrier. Only the address the request went to, or the trunk, may.
      if (!isSamePeer(remote, transaction.remote) && !(this.#options.isTrunkAddress?.(remote) ?? false)) {
        this.#spoofed.record('response', remote, {
          callId: response.headers.get('Call-ID') ?? '',
          what: `${response.status} ${method}`,
        });
        return;
      }
      transaction.receive(response);
      return;
    }
    if (method === 'INVITE' && response.status >= 200 && response.status < 300) {
      this.#handlers?.onStray2xx(response, remote);
      return;
    }
    this.#strayResponses += 1;
    this.#options.logger.debug(
      { status: response.status, branch, method },
      'response matches no transaction',
    );
  }

  /** Ends every transaction still waiting on `remote` with `error`: its connection is gone. */
  abortTransactionsTo(remote: RemoteAddress, error: Error): void {
    for (const transaction of [...this.#transactions.values()]) {
      const to = transaction.remote;
      if (to.transport === remote.transport && to.address === remote.address && to.port === remote.port)
        transaction.abort(error);
    }
  }

  /** Stops every transaction; the transports are closed by their owner. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const transaction of [...this.#transactions.values()]) transaction.terminate();
    this.#transactions.clear();
  }
}

function transactionKey(branch: string, method: string): string {
  // CANCEL shares the INVITE's branch; the method keeps their transactions apart.
  return `${branch}|${method === 'ACK' ? 'INVITE' : method}`;
}
