import dgram from 'node:dgram';
import { TypedEventEmitter } from '../../../kernel/index.js';
import type { Logger } from '../../../log/index.js';
import { parseMessage } from '../message/parse-message.js';
import { SipTransportError } from './sip-transport-error.js';
import type { RemoteAddress, SipTransport, SipTransportEvents } from './sip-transport.js';

export interface UdpTransportOptions {
  host: string;
  port: number;
  logger: Logger;
  /** Datagrams larger than this are dropped unparsed. Default: 65535. */
  maxMessageBytes?: number;
}

/** One UDP socket for every request and response, so carriers see one address (DESIGN: same Contact). */
export class UdpTransport extends TypedEventEmitter<SipTransportEvents> implements SipTransport {
  readonly kind = 'udp' as const;
  #socket: dgram.Socket;
  #closed = false;
  #malformed = 0;
  readonly #logger: Logger;
  readonly #maxBytes: number;
  /** Read once: `socket.address()` is a getsockname() syscall, and Via/Contact need it per message. */
  readonly #local: { address: string; port: number };

  private constructor(socket: dgram.Socket, options: UdpTransportOptions) {
    super();
    this.#socket = socket;
    const { address, port } = socket.address();
    this.#local = { address, port };
    this.#logger = options.logger;
    this.#maxBytes = options.maxMessageBytes ?? 65535;
    socket.on('message', (data, rinfo) => this.#onDatagram(data, rinfo));
    socket.on('error', (error) => this.#logger.error({ err: error }, 'udp socket error'));
  }

  static async open(options: UdpTransportOptions): Promise<UdpTransport> {
    const type = options.host.includes(':') ? 'udp6' : 'udp4';
    const socket = dgram.createSocket({
      type,
      recvBufferSize: 4 * 1024 * 1024,
      sendBufferSize: 4 * 1024 * 1024,
    });
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void =>
        reject(
          new SipTransportError(`cannot bind udp ${options.host}:${options.port}: ${error.message}`, {
            cause: error,
          }),
        );
      socket.once('error', onError);
      socket.bind({ address: options.host, port: options.port, exclusive: true }, () => {
        socket.off('error', onError);
        resolve();
      });
    });
    return new UdpTransport(socket, options);
  }

  get localAddress(): string {
    return this.#local.address;
  }

  get localPort(): number {
    return this.#local.port;
  }

  get malformedCount(): number {
    return this.#malformed;
  }

  send(data: Buffer, to: RemoteAddress): Promise<void> {
    if (this.#closed) return Promise.reject(new SipTransportError('udp transport is closed'));
    return new Promise((resolve, reject) => {
      this.#socket.send(data, to.port, to.address, (error) => {
        if (error)
          reject(
            new SipTransportError(`udp send to ${to.address}:${to.port} failed: ${error.message}`, {
              cause: error,
            }),
          );
        else resolve();
      });
    });
  }

  #onDatagram(data: Buffer, rinfo: dgram.RemoteInfo): void {
    const remote: RemoteAddress = { transport: 'udp', address: rinfo.address, port: rinfo.port };
    // RFC 5626 keep-alives (CRLF) are not messages.
    if (data.length <= 4 && data.every((b) => b === 13 || b === 10)) return;
    if (data.length > this.#maxBytes) {
      this.#dropMalformed(remote, `datagram of ${data.length} bytes exceeds ${this.#maxBytes}`);
      return;
    }
    let message;
    try {
      message = parseMessage(data, { maxMessageBytes: this.#maxBytes });
    } catch (error) {
      this.#dropMalformed(remote, error instanceof Error ? error.message : String(error));
      return;
    }
    this.emit('message', message, remote, data);
  }

  #dropMalformed(remote: RemoteAddress, reason: string): void {
    this.#malformed += 1;
    // Debug, not warn: a hostile peer must not be able to flood the logs.
    this.#logger.debug(
      { remote: `${remote.address}:${remote.port}`, reason, malformed: this.#malformed },
      'dropped malformed SIP datagram',
    );
    this.emit('malformed', remote, reason);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await new Promise<void>((resolve) => this.#socket.close(() => resolve()));
    this.removeAllListeners();
  }
}
