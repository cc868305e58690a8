import dgram from 'node:dgram';
import { isIP } from 'node:net';
import { silentLogger, type Logger } from '../log/index.js';
import { PortPoolError } from './port-pool-error.js';
import { PortPoolExhaustedError } from './port-pool-exhausted-error.js';

export interface RtpPortPoolOptions {
  /** IP literal every socket is bound to, and the address calls advertise in SDP (e.g. `127.0.0.1`). */
  address: string;
  /** Lowest port of the range, inclusive (1-65535). RTP uses the even ports from here on. */
  minPort: number;
  /** Highest port of the range, inclusive (1-65535). */
  maxPort: number;
  /**
   * Default `true`: also bind the odd port above each even RTP port for RTCP (RFC 3550 §11), so a
   * peer that sends RTCP to port+1 (the default when the SDP has no `a=rtcp`) reaches us.
   */
  rtcp?: boolean;
  /** Default: a silent logger. */
  logger?: Logger;
}

/** One call's RTP (and RTCP) sockets. Valid until `release()` or the pool's `close()`. */
export interface RtpPortLease {
  readonly rtpPort: number;
  /** The bound RTCP port (rtpPort + 1); `undefined` when the pool was opened with `rtcp: false`. */
  readonly rtcpPort: number | undefined;
  /** The address the sockets are bound to, to put in the SDP c= line. */
  readonly address: string;
  readonly rtpSocket: dgram.Socket;
  readonly rtcpSocket: dgram.Socket | undefined;
  /**
   * Returns the pair to the pool. Idempotent, and a no-op once the pool is closed. Removes every
   * listener added to the sockets during the lease and disconnects a `connect()`ed socket; the
   * call must not touch the sockets afterwards, nor close them (a closed socket drops its pair
   * from the pool).
   */
  release(): void;
}

type Listener = (...args: unknown[]) => void;

interface PooledSocket {
  readonly socket: dgram.Socket;
  /** The pool's own listeners, which survive a release; everything else is the call's. */
  readonly own: ReadonlyArray<readonly [event: string, fn: Listener]>;
}

interface BoundPair {
  readonly rtpPort: number;
  readonly rtp: dgram.Socket;
  readonly rtcp: dgram.Socket | undefined;
}

interface PortPair {
  readonly rtpPort: number;
  readonly rtcpPort: number | undefined;
  readonly rtp: PooledSocket;
  readonly rtcp: PooledSocket | undefined;
  inQueue: boolean;
  broken: boolean;
}

/** Bind errors that mean "this port is not ours to use": skip the pair and go on. */
const SKIPPABLE_BIND_ERRORS = new Set(['EADDRINUSE', 'EACCES']);

/** Enough parallel binds to open thousands of pairs quickly without a burst of thousands of syscalls. */
const BIND_CONCURRENCY = 64;

/**
 * RTP port pairs bound once at worker start and leased to calls, so dialing never waits on (or
 * fails at) a bind. Pairs are handed out least-recently-released first: a late packet from the
 * previous call on a port is then unlikely to reach the next one.
 */
export class RtpPortPool {
  readonly address: string;
  readonly minPort: number;
  readonly maxPort: number;

  readonly #logger: Logger;
  readonly #pairs: PortPair[];
  /** Ring buffer of free pairs (FIFO), capacity = number of pairs, so lease and release are O(1). */
  readonly #queue: Array<PortPair | undefined>;
  #head = 0;
  #queued = 0;
  #size: number;
  #free: number;
  #closing: Promise<void> | undefined;

  private constructor(options: Required<RtpPortPoolOptions>, bound: readonly BoundPair[]) {
    this.address = options.address;
    this.minPort = options.minPort;
    this.maxPort = options.maxPort;
    this.#logger = options.logger;
    this.#pairs = bound.map((b) => this.#adopt(b));
    this.#queue = new Array<PortPair | undefined>(this.#pairs.length);
    this.#size = this.#pairs.length;
    this.#free = this.#pairs.length;
    for (const pair of this.#pairs) this.#enqueue(pair);
  }

  /** Binds the whole range. Rejects with `PortPoolError` when the range is invalid or nothing could be bound. */
  static async open(options: RtpPortPoolOptions): Promise<RtpPortPool> {
    const resolved = validateOptions(options);
    const { address, minPort, maxPort, rtcp, logger } = resolved;
    const range = `${address}:${minPort}-${maxPort}`;
    const type = isIP(address) === 6 ? 'udp6' : 'udp4';

    const rtpPorts: number[] = [];
    for (let port = minPort + (minPort % 2); rtcp ? port + 1 <= maxPort : port <= maxPort; port += 2) {
      rtpPorts.push(port);
    }

    const bound: BoundPair[] = [];
    const skipped = new Map<string, number>();
    let fatal: NodeJS.ErrnoException | undefined;
    let next = 0;

    const bindWorker = async (): Promise<void> => {
      while (fatal === undefined && next < rtpPorts.length) {
        const rtpPort = rtpPorts[next++] as number;
        try {
          const rtpSocket = await bindSocket(type, address, rtpPort);
          let rtcpSocket: dgram.Socket | undefined;
          if (rtcp) {
            try {
              rtcpSocket = await bindSocket(type, address, rtpPort + 1);
            } catch (err) {
              await closeSocket(rtpSocket);
              throw err;
            }
          }
          bound.push({ rtpPort, rtp: rtpSocket, rtcp: rtcpSocket });
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code ?? 'UNKNOWN';
          if (SKIPPABLE_BIND_ERRORS.has(code)) {
            skipped.set(code, (skipped.get(code) ?? 0) + 1);
          } else {
            fatal ??= err as NodeJS.ErrnoException;
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(BIND_CONCURRENCY, rtpPorts.length) }, bindWorker));

    if (fatal !== undefined) {
      await Promise.all(bound.flatMap((b) => [b.rtp, b.rtcp]).map((s) => s && closeSocket(s)));
      throw new PortPoolError(`cannot bind RTP port range ${range}: ${fatal.code ?? ''} ${fatal.message}`, {
        cause: fatal,
      });
    }
    const skippedCount = [...skipped.values()].reduce((a, b) => a + b, 0);
    if (bound.length === 0) {
      throw new PortPoolError(
        `no RTP port pair could be bound in ${range}: all ${rtpPorts.length} pairs unavailable (${describeCounts(skipped)})`,
      );
    }
    if (skippedCount > 0) {
      logger.warn(
        { range, skipped: skippedCount, reasons: Object.fromEntries(skipped), bound: bound.length },
        'RTP ports already in use were skipped',
      );
    }

    bound.sort((a, b) => a.rtpPort - b.rtpPort);
    const pool = new RtpPortPool(resolved, bound);
    logger.debug({ range, pairs: pool.size, rtcp }, 'RTP port pool open');
    return pool;
  }

  /** Pairs the pool holds (free and leased). Drops when a call closes a socket; 0 after `close()`. */
  get size(): number {
    return this.#size;
  }

  get free(): number {
    return this.#free;
  }

  get leased(): number {
    return this.#size - this.#free;
  }

  /**
   * Takes the least recently released pair. Throws `PortPoolExhaustedError` when every pair is
   * leased, `PortPoolError` when the pool is closed.
   */
  lease(): RtpPortLease {
    if (this.#closing !== undefined) {
      throw new PortPoolError(`RTP port pool ${this.#range()} is closed`);
    }
    let pair: PortPair | undefined;
    while (pair === undefined && this.#queued > 0) {
      const candidate = this.#dequeue();
      if (!candidate.broken) pair = candidate;
    }
    if (pair === undefined) {
      throw new PortPoolExhaustedError(
        `all ${this.#size} RTP port pairs of ${this.#range()} are leased`,
        this.#size,
      );
    }
    this.#free--;
    // A connect() still in flight at the previous release may have landed since.
    disconnectIfConnected(pair.rtp.socket);
    if (pair.rtcp) disconnectIfConnected(pair.rtcp.socket);
    return this.#makeLease(pair);
  }

  /** Closes every socket. Idempotent; leases still out become dead (their `release()` does nothing). */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#size = 0;
      this.#free = 0;
      this.#queued = 0;
      this.#queue.fill(undefined);
      const sockets = this.#pairs.flatMap((p) => (p.rtcp ? [p.rtp.socket, p.rtcp.socket] : [p.rtp.socket]));
      await Promise.all(sockets.map(closeSocket));
      this.#logger.debug({ range: this.#range() }, 'RTP port pool closed');
    })();
    return this.#closing;
  }

  #adopt(b: BoundPair): PortPair {
    const pooled = (socket: dgram.Socket, port: number): PooledSocket => {
      const onError: Listener = (err) => {
        // A socket 'error' with no listener would crash the worker; one call's media trouble must not.
        this.#logger.warn({ port, err }, 'RTP socket error');
      };
      const onClose: Listener = () => this.#onSocketClosed(pair, port);
      socket.on('error', onError);
      socket.on('close', onClose);
      return {
        socket,
        own: [
          ['error', onError],
          ['close', onClose],
        ],
      };
    };
    const pair: PortPair = {
      rtpPort: b.rtpPort,
      rtcpPort: b.rtcp ? b.rtpPort + 1 : undefined,
      rtp: pooled(b.rtp, b.rtpPort),
      rtcp: b.rtcp ? pooled(b.rtcp, b.rtpPort + 1) : undefined,
      inQueue: false,
      broken: false,
    };
    return pair;
  }

  #makeLease(pair: PortPair): RtpPortLease {
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      if (this.#closing !== undefined || pair.broken) return;
      this.#return(pair);
    };
    return {
      rtpPort: pair.rtpPort,
      rtcpPort: pair.rtcpPort,
      address: this.address,
      rtpSocket: pair.rtp.socket,
      rtcpSocket: pair.rtcp?.socket,
      release,
    };
  }

  #return(pair: PortPair): void {
    const sockets = pair.rtcp ? [pair.rtp, pair.rtcp] : [pair.rtp];
    for (const pooled of sockets) {
      if (!isOpen(pooled.socket)) {
        // The call closed it after stripping our 'close' listener: treat as if we had seen it close.
        this.#onSocketClosed(pair, pooled.socket === pair.rtp.socket ? pair.rtpPort : (pair.rtcpPort ?? 0));
        return;
      }
    }
    for (const pooled of sockets) scrub(pooled);
    this.#free++;
    this.#enqueue(pair);
  }

  #onSocketClosed(pair: PortPair, port: number): void {
    if (this.#closing !== undefined || pair.broken) return;
    pair.broken = true;
    this.#size--;
    if (pair.inQueue) this.#free--;
    this.#logger.warn(
      { port, rtpPort: pair.rtpPort, size: this.#size },
      'RTP socket closed outside the pool: its pair is dropped (calls must release, not close)',
    );
    for (const pooled of pair.rtcp ? [pair.rtp, pair.rtcp] : [pair.rtp]) {
      if (isOpen(pooled.socket)) pooled.socket.close();
    }
  }

  #enqueue(pair: PortPair): void {
    this.#queue[(this.#head + this.#queued) % this.#queue.length] = pair;
    this.#queued++;
    pair.inQueue = true;
  }

  #dequeue(): PortPair {
    const pair = this.#queue[this.#head] as PortPair;
    this.#queue[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.#queue.length;
    this.#queued--;
    pair.inQueue = false;
    return pair;
  }

  #range(): string {
    return `${this.address}:${this.minPort}-${this.maxPort}`;
  }
}

function validateOptions(options: RtpPortPoolOptions): Required<RtpPortPoolOptions> {
  const { address, minPort, maxPort } = options;
  const rtcp = options.rtcp ?? true;
  if (typeof address !== 'string' || isIP(address) === 0) {
    throw new PortPoolError(`address must be an IP literal, got ${JSON.stringify(address)}`);
  }
  for (const [name, value] of [
    ['minPort', minPort],
    ['maxPort', maxPort],
  ] as const) {
    if (!Number.isInteger(value) || value < 1 || value > 65535) {
      throw new PortPoolError(`${name} must be an integer in 1-65535, got ${String(value)}`);
    }
  }
  if (minPort > maxPort) {
    throw new PortPoolError(`minPort ${minPort} is above maxPort ${maxPort}`);
  }
  const firstEven = minPort + (minPort % 2);
  if (rtcp ? firstEven + 1 > maxPort : firstEven > maxPort) {
    throw new PortPoolError(
      `RTP port range ${minPort}-${maxPort} holds no ${rtcp ? 'even/odd RTP/RTCP pair' : 'even RTP port'} (RFC 3550 §11)`,
    );
  }
  return { address, minPort, maxPort, rtcp, logger: options.logger ?? silentLogger() };
}

function bindSocket(type: dgram.SocketType, address: string, port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    // reuseAddr stays off: a port someone else holds must fail to bind, not be shared with them.
    const socket = dgram.createSocket({ type, reuseAddr: false });
    const onError = (err: Error): void => {
      socket.close();
      reject(err);
    };
    socket.once('error', onError);
    socket.bind({ address, port, exclusive: true }, () => {
      socket.removeListener('error', onError);
      trackConnect(socket);
      resolve(socket);
    });
  });
}

function closeSocket(socket: dgram.Socket): Promise<void> {
  return new Promise((resolve) => {
    if (!isOpen(socket)) {
      resolve();
      return;
    }
    socket.close(() => resolve());
  });
}

function isOpen(socket: dgram.Socket): boolean {
  try {
    socket.address();
    return true;
  } catch {
    return false;
  }
}

/**
 * Sockets a call may have connect()ed. dgram has no public "is connected" and remoteAddress()
 * throws when not, which cost ~4 % of a call's CPU on every lease and release; so the pool notes
 * connect() calls on its own sockets and only checks those.
 */
const maybeConnected = new WeakSet<dgram.Socket>();

function trackConnect(socket: dgram.Socket): void {
  const connect = socket.connect.bind(socket) as (...args: unknown[]) => void;
  // Same signature as dgram's overloads; only a flag is added.
  (socket as unknown as { connect: (...args: unknown[]) => void }).connect = (...args: unknown[]) => {
    maybeConnected.add(socket);
    connect(...args);
  };
}

function disconnectIfConnected(socket: dgram.Socket): void {
  if (!maybeConnected.has(socket)) return;
  try {
    socket.remoteAddress();
  } catch {
    return; // not connected yet: a connect() in flight keeps the flag for the next check
  }
  socket.disconnect();
  maybeConnected.delete(socket);
}

/** Strips what the call left on a socket: its listeners and its connect(). */
function scrub(pooled: PooledSocket): void {
  const { socket, own } = pooled;
  const ownFns = new Set<unknown>(own.map(([, fn]) => fn));
  for (const event of socket.eventNames()) {
    for (const fn of socket.rawListeners(event)) {
      // rawListeners gives once() wrappers, which removeListener matches by identity.
      // Event names are strings here (dgram emits no symbol events); the cast satisfies the overloads.
      if (!ownFns.has(fn)) socket.removeListener(event as string, fn as Listener);
    }
  }
  // A call that ran removeAllListeners() also took ours: put them back.
  for (const [event, fn] of own) {
    if (!socket.rawListeners(event).includes(fn)) socket.on(event, fn);
  }
  disconnectIfConnected(socket);
}

function describeCounts(counts: ReadonlyMap<string, number>): string {
  return [...counts].map(([code, n]) => `${code} x${n}`).join(', ');
}
