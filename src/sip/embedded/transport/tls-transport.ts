import { isIP } from 'node:net';
import tls from 'node:tls';
import { TypedEventEmitter } from '../../../kernel/index.js';
import type { Logger } from '../../../log/index.js';
import { parseMessage } from '../message/parse-message.js';
import { SipStreamFramer } from '../message/stream-framer.js';
import { SipTransportError } from './sip-transport-error.js';
import { writeToSocket } from './write-to-socket.js';
import {
  remoteKey,
  type RemoteAddress,
  type SipTransport,
  type SipTransportEvents,
} from './sip-transport.js';
import { TlsCertificateRejectedError } from './tls-certificate-rejected-error.js';
import type { TlsKeepAlive } from './tls-keep-alive.js';
import type { TlsPeer } from './tls-peer.js';
import { InboundConnectionLimiter } from './inbound-connection-limiter.js';
import type { TcpCloseReason, TcpLimits } from './tcp-limits.js';

export interface TlsTransportOptions {
  /** What Via and Contact name: the engine's listen address and port. */
  readonly localAddress: string;
  readonly localPort: number;
  readonly logger: Logger;
  /** How to reach and check each remote; undefined refuses the send (no TLS settings known). */
  readonly peerOf: (remote: RemoteAddress) => TlsPeer | undefined;
  readonly keepAlive: TlsKeepAlive;
  /** An established connection closed (by the carrier, the network or a missed pong). */
  readonly onFlowLost?: (remote: RemoteAddress) => void;
  /** Default: 65535. */
  readonly maxMessageBytes?: number;
  /** Connect plus handshake, ms. Default: 5000. */
  readonly connectTimeoutMs?: number;
  /**
   * Listen for connections carriers open to us (RFC 3261 §18.2.2, RFC 5626: a response or an
   * in-dialog request on a new connection when ours dropped), with our server certificate. Via
   * and Contact then name this port. Absent: no listener, carriers reach us on our connections.
   */
  readonly server?: TlsServerIdentity;
  /** Bounds on the connections the listener accepts (`sip.tcp`, as for TCP). Default: unbounded. */
  readonly limits?: TcpLimits;
}

/** Our TLS server side: where it listens and the certificate it presents. */
export interface TlsServerIdentity {
  readonly host: string;
  /** 0: any free port (tests). */
  readonly port: number;
  /** PEM. The key is never logged. */
  readonly cert: Buffer;
  readonly key: Buffer;
  /** Handshake deadline for an accepted connection, ms. Default: the connect timeout. */
  readonly handshakeTimeoutMs?: number;
}

const PING = Buffer.from('\r\n\r\n', 'latin1');
const PONG = Buffer.from('\r\n', 'latin1');

/** A chunk of CRLFs only, a double one among them: a keep-alive ping, not a message. */
function isPing(chunk: Buffer): boolean {
  if (chunk.length < 4) return false;
  for (const byte of chunk) if (byte !== 0x0d && byte !== 0x0a) return false;
  return chunk.includes(PING);
}

/**
 * SIP over TLS to carriers (RFC 3261 §26.2): one client connection per carrier address, opened on
 * first use, reused for every request and for what the carrier sends back on it, kept alive with
 * CRLF pings (RFC 5626 §4.4.1). With `server`, it also listens: a connection a carrier opens to
 * us carries its requests and our responses to them (and nothing is trusted for arriving on it:
 * the stack matches its source to a trunk, as for TCP). A certificate that fails verification
 * rejects the send with `TlsCertificateRejectedError`; nothing here falls back to plain TCP.
 */
export class TlsTransport extends TypedEventEmitter<SipTransportEvents> implements SipTransport {
  readonly kind = 'tls' as const;
  readonly #options: TlsTransportOptions;
  readonly #connections = new Map<string, Promise<tls.TLSSocket>>();
  readonly #sockets = new Set<tls.TLSSocket>();
  readonly #maxBytes: number;
  readonly #connectTimeoutMs: number;
  /**
   * `remote|reason` of certificate refusals already logged: a carrier whose certificate expired
   * refuses every call of a storm, and one warning says it (the next good handshake clears it).
   */
  readonly #refusalsLogged = new Set<string>();
  #malformed = 0;
  #pings = 0;
  #pongs = 0;
  #closed = false;
  #server: tls.Server | undefined;
  #listenPort: number | undefined;
  #accepted = 0;
  readonly #limiter: InboundConnectionLimiter;

  constructor(options: TlsTransportOptions) {
    super();
    this.#options = options;
    this.#maxBytes = options.maxMessageBytes ?? 65535;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 5000;
    this.#limiter = new InboundConnectionLimiter(options.limits, options.logger, 'tls');
  }

  /** Starts the listener when `server` is set; rejects with `SipTransportError` when it cannot. Once. */
  async listen(): Promise<void> {
    const identity = this.#options.server;
    if (identity === undefined || this.#server !== undefined || this.#closed) return;
    const server = tls.createServer({
      cert: identity.cert,
      key: identity.key,
      handshakeTimeout: identity.handshakeTimeoutMs ?? this.#connectTimeoutMs,
    });
    this.#server = server;
    server.on('secureConnection', (socket) => {
      if (this.#closed) {
        socket.destroy();
        return;
      }
      const remote: RemoteAddress = {
        transport: 'tls',
        address: socket.remoteAddress ?? '',
        port: socket.remotePort ?? 0,
      };
      if (!this.#limiter.admit(socket, remote)) return;
      this.#accepted += 1;
      const key = remoteKey(remote);
      this.#adopt(socket, remote, key, true);
      // Responses to what arrives on it go back on it (RFC 3261 §18.2.2).
      this.#connections.set(key, Promise.resolve(socket));
    });
    // A failed handshake (a scanner, a wrong protocol) is the remote's problem, not ours.
    server.on('tlsClientError', (error, socket) =>
      this.#options.logger.debug(
        { err: error, remote: `${socket.remoteAddress ?? ''}:${socket.remotePort ?? 0}` },
        'inbound TLS handshake failed',
      ),
    );
    server.on('error', (error) => this.#options.logger.error({ err: error }, 'tls listener error'));
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void =>
        reject(
          new SipTransportError(`cannot listen on tls ${identity.host}:${identity.port}: ${error.message}`, {
            cause: error,
          }),
        );
      server.once('error', onError);
      server.listen(identity.port, identity.host, () => {
        server.off('error', onError);
        const bound = server.address();
        this.#listenPort = typeof bound === 'object' && bound !== null ? bound.port : identity.port;
        resolve();
      });
    });
  }

  get localAddress(): string {
    return this.#options.localAddress;
  }

  /** The listener's port when there is one (what Via and Contact name), else the engine's. */
  get localPort(): number {
    return this.#listenPort ?? this.#options.localPort;
  }

  /** Accepted connections we closed because a limit was hit, by limit. */
  get limitCloses(): Readonly<Record<TcpCloseReason, number>> {
    return this.#limiter.closes;
  }

  /** Connections carriers opened to us so far. */
  get acceptedCount(): number {
    return this.#accepted;
  }

  get malformedCount(): number {
    return this.#malformed;
  }

  /** Established connections and keep-alive counts (engine stats). */
  get counts(): { connections: number; pings: number; pongs: number } {
    return { connections: this.#sockets.size, pings: this.#pings, pongs: this.#pongs };
  }

  async send(data: Buffer, to: RemoteAddress): Promise<void> {
    if (this.#closed) throw new SipTransportError('tls transport is closed');
    const socket = await this.#connection(to);
    await writeToSocket(socket, data, `tls send to ${remoteKey(to)}`);
  }

  #connection(to: RemoteAddress): Promise<tls.TLSSocket> {
    const key = remoteKey(to);
    const existing = this.#connections.get(key);
    if (existing) return existing;
    const peer = this.#options.peerOf(to);
    if (!peer)
      return Promise.reject(new SipTransportError(`no TLS settings for ${key}: it is no trunk's address`));
    const connecting = this.#connect(to, key, peer);
    this.#connections.set(key, connecting);
    connecting.catch(() => {
      if (this.#connections.get(key) === connecting) this.#connections.delete(key);
    });
    return connecting;
  }

  #connect(to: RemoteAddress, key: string, peer: TlsPeer): Promise<tls.TLSSocket> {
    return new Promise<tls.TLSSocket>((resolve, reject) => {
      const socket = tls.connect({
        host: to.address,
        port: to.port,
        // SNI carries host names only (RFC 6066 §3).
        ...(isIP(peer.identity) === 0 ? { servername: peer.identity } : {}),
        secureContext: peer.context,
        rejectUnauthorized: peer.rejectUnauthorized,
        // Checked against the SIP domain (RFC 5922), not the address we happened to resolve.
        checkServerIdentity: (_host, cert) => tls.checkServerIdentity(peer.identity, cert),
      });
      socket.setNoDelay(true);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          new SipTransportError(
            `tls connect to ${key} (trunk ${peer.trunk}) timed out after ${this.#connectTimeoutMs} ms`,
          ),
        );
      }, this.#connectTimeoutMs);
      const onError = (error: Error): void => {
        clearTimeout(timer);
        reject(this.#connectError(error, key, peer));
      };
      socket.once('error', onError);
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        for (const logged of this.#refusalsLogged)
          if (logged.startsWith(`${key}|`)) this.#refusalsLogged.delete(logged);
        if (!socket.authorized) {
          this.#options.logger.warn(
            { trunk: peer.trunk, remote: key, reason: String(socket.authorizationError) },
            'TLS certificate NOT verified (tls.insecure): for tests only',
          );
        }
        if (this.#closed) {
          socket.destroy();
          reject(new SipTransportError('tls transport is closed'));
          return;
        }
        this.#adopt(socket, to, key);
        resolve(socket);
      });
    });
  }

  #connectError(error: Error, key: string, peer: TlsPeer): Error {
    const reason = TlsCertificateRejectedError.verifyFailureOf(error);
    if (reason !== undefined) {
      const rejected = new TlsCertificateRejectedError({
        trunk: peer.trunk,
        remote: key,
        identity: peer.identity,
        reason,
        detail: error.message,
        cause: error,
      });
      const once = `${key}|${reason}`;
      const level = this.#refusalsLogged.has(once) ? 'debug' : 'warn';
      // Bounded by remotes × verification codes, and cleared by a good handshake.
      this.#refusalsLogged.add(once);
      this.#options.logger[level]({ trunk: peer.trunk, remote: key, reason }, rejected.message);
      return rejected;
    }
    return new SipTransportError(`tls connect to ${key} (trunk ${peer.trunk}) failed: ${error.message}`, {
      cause: error,
    });
  }

  /** `inbound`: a connection the carrier opened; it pings us, and its loss is no flow of ours lost. */
  #adopt(socket: tls.TLSSocket, remote: RemoteAddress, key: string, inbound = false): void {
    this.#sockets.add(socket);
    // Again on the connected socket: before the connect it may not reach the TCP handle.
    socket.setNoDelay(true);
    const framer = new SipStreamFramer({ maxMessageBytes: this.#maxBytes });
    const { intervalMs, timeoutMs } = this.#options.keepAlive;
    let ping: NodeJS.Timeout | undefined;
    let pong: NodeJS.Timeout | undefined;
    const armPing = (): void => {
      if (intervalMs <= 0 || inbound) return;
      // RFC 5626 §4.4.1: 80–100 % of the interval, so a fleet restarted at once does not ping in step.
      ping = setTimeout(
        () => {
          if (socket.destroyed) return;
          socket.write(PING);
          this.#pings += 1;
          pong = setTimeout(() => {
            this.#options.logger.warn(
              { remote: key, timeoutMs },
              'no CRLF pong from the carrier: closing the TLS connection',
            );
            socket.destroy();
          }, timeoutMs);
          pong.unref();
        },
        intervalMs * (0.8 + 0.2 * Math.random()),
      );
      ping.unref();
    };
    armPing();
    // Accepted connections only, as for TCP: one that never completes a message would hold a
    // descriptor for ever. Ours to the carrier stay up between calls on purpose.
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
      // RFC 5626 §4.4.1: the carrier's CRLFCRLF ping on its connection gets our CRLF pong.
      if (inbound && isPing(chunk)) {
        socket.write(PONG);
        armIdle();
        return;
      }
      // Any byte back (the CRLF pong, a message) proves the flow is alive.
      if (pong !== undefined) {
        this.#pongs += 1;
        clearTimeout(pong);
        pong = undefined;
        armPing();
      }
      let frames: Buffer[];
      try {
        frames = framer.push(chunk);
      } catch (error) {
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
    socket.on('error', (error) =>
      this.#options.logger.debug({ err: error, remote: key }, 'tls connection error'),
    );
    socket.on('close', () => {
      clearTimeout(idle);
      clearTimeout(ping);
      clearTimeout(pong);
      framer.close();
      this.#sockets.delete(socket);
      void this.#connections.get(key)?.then(
        (current) => {
          if (current === socket) this.#connections.delete(key);
        },
        () => undefined,
      );
      if (!this.#closed && inbound) {
        this.#options.logger.debug({ remote: key }, 'TLS connection from the carrier closed');
      } else if (!this.#closed) {
        this.#options.logger.info({ remote: key }, 'TLS connection to the carrier closed');
        this.#options.onFlowLost?.(remote);
      }
    });
  }

  #dropMalformed(remote: RemoteAddress, reason: string): void {
    this.#malformed += 1;
    this.#options.logger.debug(
      { remote: remoteKey(remote), reason, malformed: this.#malformed },
      'dropped malformed SIP message',
    );
    this.emit('malformed', remote, reason);
  }

  /** Closes every connection. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const listening = this.#server;
    const stopped =
      listening === undefined
        ? Promise.resolve()
        : new Promise<void>((resolve) => listening.close(() => resolve()));
    const closing = [...this.#sockets].map(
      (socket) => new Promise<void>((resolve) => socket.once('close', () => resolve()).destroy()),
    );
    await Promise.all([...closing, stopped]);
    this.removeAllListeners();
  }
}
