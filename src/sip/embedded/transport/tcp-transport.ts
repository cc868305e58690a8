import net from 'node:net';
import { TypedEventEmitter } from '../../../kernel/index.js';
import type { Logger } from '../../../log/index.js';
import { parseMessage } from '../message/parse-message.js';
import { SipStreamFramer } from '../message/stream-framer.js';
import { SipTransportError } from './sip-transport-error.js';
import { writeToSocket } from './write-to-socket.js';
import { InboundConnectionLimiter } from './inbound-connection-limiter.js';
import type { TcpCloseReason, TcpLimits } from './tcp-limits.js';
import {
  remoteKey,
  type RemoteAddress,
  type SipTransport,
  type SipTransportEvents,
} from './sip-transport.js';

export interface TcpTransportOptions {
  host: string;
  port: number;
  logger: Logger;
  /** Largest message accepted on a connection; a bigger one closes the connection. Default: 65535. */
  maxMessageBytes?: number;
  /** Give up connecting after this long. Default: 5000 ms. */
  connectTimeoutMs?: number;
  /** Bounds on accepted connections; the config schema holds the defaults. Default: unbounded. */
  limits?: TcpLimits;
}

/**
 * Listens for connections (in-dialog requests from the carrier) and keeps one outbound connection
 * per remote, reused for every request, so REGISTER and INVITE reach the carrier on the same
 * connection the registration was made on (RFC 3261 §18, RFC 5923 connection reuse).
 */
export class TcpTransport extends TypedEventEmitter<SipTransportEvents> implements SipTransport {
  readonly kind = 'tcp' as const;
  readonly #server: net.Server;
  readonly #connections = new Map<string, Promise<net.Socket>>();
  readonly #sockets = new Set<net.Socket>();
  readonly #logger: Logger;
  readonly #maxBytes: number;
  readonly #connectTimeoutMs: number;
  /** Read once: `server.address()` is a getsockname() syscall, and Via/Contact need it per message. */
  readonly #local: { address: string; port: number };
  /** Bounds on accepted connections (outbound ones are ours and not counted). */
  readonly #limiter: InboundConnectionLimiter;
  #malformed = 0;
  #closed = false;

  private constructor(server: net.Server, options: TcpTransportOptions) {
    super();
    this.#server = server;
    const bound = server.address();
    this.#local =
      typeof bound === 'object' && bound
        ? { address: bound.address, port: bound.port }
        : { address: '', port: 0 };
    this.#logger = options.logger;
    this.#maxBytes = options.maxMessageBytes ?? 65535;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 5000;
    this.#limiter = new InboundConnectionLimiter(options.limits, options.logger, 'tcp');
    server.on('connection', (socket) => {
      const remote = this.#remoteOf(socket);
      if (!this.#limiter.admit(socket, remote)) return;
      this.#adopt(socket, remote, true);
      this.#connections.set(remoteKey(remote), Promise.resolve(socket));
    });
    server.on('error', (error) => this.#logger.error({ err: error }, 'tcp listener error'));
  }

  static async open(options: TcpTransportOptions): Promise<TcpTransport> {
    const server = net.createServer({ noDelay: true });
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void =>
        reject(
          new SipTransportError(`cannot listen on tcp ${options.host}:${options.port}: ${error.message}`, {
            cause: error,
          }),
        );
      server.once('error', onError);
      server.listen({ host: options.host, port: options.port, exclusive: true }, () => {
        server.off('error', onError);
        resolve();
      });
    });
    return new TcpTransport(server, options);
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

  /** Accepted connections we closed because a limit was hit, by limit. */
  get limitCloses(): Readonly<Record<TcpCloseReason, number>> {
    return this.#limiter.closes;
  }

  /** Counts an accepted connection in, or closes it when a cap is reached. */
  async send(data: Buffer, to: RemoteAddress): Promise<void> {
    if (this.#closed) throw new SipTransportError('tcp transport is closed');
    const socket = await this.#connection(to);
    await writeToSocket(socket, data, `tcp send to ${remoteKey(to)}`);
  }

  #connection(to: RemoteAddress): Promise<net.Socket> {
    const key = remoteKey(to);
    const existing = this.#connections.get(key);
    if (existing) return existing;
    const connecting = new Promise<net.Socket>((resolve, reject) => {
      const socket = net.connect({ host: to.address, port: to.port, noDelay: true });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new SipTransportError(`tcp connect to ${key} timed out after ${this.#connectTimeoutMs} ms`));
      }, this.#connectTimeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        this.#adopt(socket, to);
        resolve(socket);
      });
      const onError = (error: Error): void => {
        clearTimeout(timer);
        reject(new SipTransportError(`tcp connect to ${key} failed: ${error.message}`, { cause: error }));
      };
      socket.once('error', onError);
    });
    this.#connections.set(key, connecting);
    connecting.catch(() => {
      if (this.#connections.get(key) === connecting) this.#connections.delete(key);
    });
    return connecting;
  }

  #adopt(socket: net.Socket, remote: RemoteAddress, inbound = false): void {
    this.#sockets.add(socket);
    socket.setKeepAlive(true, 30_000);
    const framer = new SipStreamFramer({ maxMessageBytes: this.#maxBytes });
    const key = remoteKey(remote);
    // Accepted connections only: one that never completes a message (a slowloris, a half-sent
    // request) would hold a descriptor for ever. Our own connections to the carrier stay up
    // between calls on purpose (RFC 5923 reuse).
    const idleMs = inbound ? this.#limiter.idleTimeoutMs : undefined;
    let idle: NodeJS.Timeout | undefined;
    const armIdle = (): void => {
      if (idleMs === undefined) return;
      clearTimeout(idle);
      idle = setTimeout(() => this.#limiter.closeForLimit(socket, remote, 'idle'), idleMs);
      idle.unref();
    };
    armIdle();
    socket.on('data', (chunk: Buffer) => {
      let frames: Buffer[];
      try {
        frames = framer.push(chunk);
      } catch (error) {
        // Framing is lost for good on a stream: drop the connection, not the process.
        this.#dropMalformed(remote, error instanceof Error ? error.message : String(error));
        socket.destroy();
        return;
      }
      if (frames.length > 0) armIdle();
      for (const frame of frames) {
        let message;
        try {
          message = parseMessage(frame, { maxMessageBytes: this.#maxBytes });
        } catch (error) {
          this.#dropMalformed(remote, error instanceof Error ? error.message : String(error));
          continue;
        }
        this.emit('message', message, remote, frame);
      }
    });
    socket.on('error', (error) => this.#logger.debug({ err: error, remote: key }, 'tcp connection error'));
    socket.on('close', () => {
      clearTimeout(idle);
      this.#sockets.delete(socket);
      const current = this.#connections.get(key);
      if (current) {
        void current.then((s) => {
          if (s === socket) this.#connections.delete(key);
        });
      }
    });
  }

  #remoteOf(socket: net.Socket): RemoteAddress {
    return { transport: 'tcp', address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
  }

  #dropMalformed(remote: RemoteAddress, reason: string): void {
    this.#malformed += 1;
    this.#logger.debug(
      { remote: remoteKey(remote), reason, malformed: this.#malformed },
      'dropped malformed SIP message',
    );
    this.emit('malformed', remote, reason);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.removeAllListeners();
  }
}
