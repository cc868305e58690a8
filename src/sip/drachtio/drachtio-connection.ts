import { TypedEventEmitter } from '../../kernel/index.js';
import type { Logger } from '../../log/index.js';
import { EngineUnavailableError } from '../engine-unavailable-error.js';
import { parseHostports, type DrachtioSipAddress } from './parse-hostports.js';
import { createSrf, type SrfApi } from './srf-api.js';

export interface DrachtioConnectionOptions {
  readonly host: string;
  readonly port: number;
  /** Never logged. */
  readonly secret: string;
  /** Longest wait between reconnect attempts. Default: 5000 ms (drachtio-srf's own has no cap). */
  readonly retryMaxDelayMs?: number;
  /** Keepalive ping over the control connection. Default: 10 000 ms (5000–300000). */
  readonly pingIntervalMs?: number;
  readonly logger: Logger;
  /** Builds the Srf. Default: the real one. Unit tests pass a stand-in for its event surface. */
  readonly createSrf?: () => SrfApi;
}

export type DrachtioConnectionEvents = {
  /** Connected (again) and authenticated. */
  up: [readonly DrachtioSipAddress[]];
  /** The control connection dropped: requests in flight through it will get no answer. */
  down: [Error | undefined];
};

/**
 * The control connection to drachtio-server: connect, authenticate, reconnect with a capped delay,
 * and the `error` listener whose absence would crash the process. Knows whether it is up right now
 * so callers wait for it (or fail with a clear error) instead of hitting drachtio-srf's asserts.
 */
export class DrachtioConnection extends TypedEventEmitter<DrachtioConnectionEvents> {
  readonly srf: SrfApi;
  readonly #options: DrachtioConnectionOptions;
  readonly #logger: Logger;
  #up = false;
  #started = false;
  #closed = false;
  #addresses: readonly DrachtioSipAddress[] = [];
  #lastError: Error | undefined;
  readonly #waiters = new Set<() => void>();

  constructor(options: DrachtioConnectionOptions) {
    super();
    this.#options = options;
    this.#logger = options.logger;
    this.srf = (options.createSrf ?? createSrf)();
    this.srf.on('connect', (err, hostport, serverVersion) => this.#onConnect(err, hostport, serverVersion));
    this.srf.on('reconnecting', ({ delay, attempt }) =>
      this.#logger.debug({ delay, attempt }, 'reconnecting to drachtio-server'),
    );
    this.srf.on('close', () => this.#onDown(undefined));
    // drachtio-srf re-emits socket errors here; without a listener they would crash the worker.
    this.srf.on('error', (err) => {
      this.#lastError = err;
      this.#logger.warn({ err: { message: err.message, code: codeOf(err) } }, 'drachtio connection error');
      this.#onDown(err);
    });
  }

  get isUp(): boolean {
    return this.#up;
  }

  /** `host:port` of the control connection (no secret). */
  get target(): string {
    return `${this.#options.host}:${this.#options.port}`;
  }

  /** SIP addresses of the server, as announced on the last connect. */
  get sipAddresses(): readonly DrachtioSipAddress[] {
    return this.#addresses;
  }

  /** Starts connecting (idempotent) and waits up to `timeoutMs` for the first success. */
  async open(timeoutMs: number): Promise<void> {
    if (this.#closed) throw new EngineUnavailableError('drachtio connection is closed');
    if (!this.#started) {
      this.#started = true;
      this.#logger.info({ drachtio: this.target }, 'connecting to drachtio-server');
      this.srf.connect({
        host: this.#options.host,
        port: this.#options.port,
        secret: this.#options.secret,
        reconnect: { retryMaxDelay: this.#options.retryMaxDelayMs ?? 5000 },
        enablePing: true,
        pingInterval: this.#options.pingIntervalMs ?? 10_000,
      });
    }
    if (!(await this.waitUp(timeoutMs))) {
      const why = this.#lastError ? `: ${this.#lastError.message}` : '';
      throw new EngineUnavailableError(
        `cannot reach drachtio-server at ${this.target} within ${timeoutMs} ms${why}`,
        this.#lastError ? { cause: this.#lastError } : undefined,
      );
    }
  }

  /** Resolves true once connected, false after `timeoutMs` or on close. */
  waitUp(timeoutMs: number): Promise<boolean> {
    if (this.#up) return Promise.resolve(true);
    if (this.#closed || timeoutMs <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        resolve(this.#up);
      };
      const timer = setTimeout(done, timeoutMs);
      this.#waiters.add(done);
    });
  }

  /** Disconnects and stops reconnecting. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopReconnecting();
    if (this.#up) {
      try {
        this.srf.disconnect();
      } catch (error) {
        // Asserts when no socket is left (it dropped a moment ago): nothing to end then.
        this.#logger.debug({ err: error }, 'drachtio disconnect');
      }
    }
    this.#up = false;
    for (const wake of [...this.#waiters]) wake();
    this.removeAllListeners();
  }

  // A reconnect timer armed before close() would open a fresh connection; drachtio-srf has no API
  // to stop it, so its wire protocol is told it is closing and the timer is cleared.
  #stopReconnecting(): void {
    const wp = this.srf.app?.client?.wp;
    if (!wp) return;
    wp.closing = true;
    const timer = wp.reconnectVars?.retryTimer;
    if (timer) clearTimeout(timer);
    if (wp.reconnectVars) wp.reconnectVars.retryTimer = null;
  }

  #onConnect(err: Error | null, hostport: string | undefined, serverVersion: string | undefined): void {
    if (this.#closed) {
      // The connection a pending reconnect made after close(): end it.
      try {
        this.srf.disconnect();
      } catch {
        // Already gone.
      }
      return;
    }
    if (err) {
      this.#lastError = err;
      this.#logger.error({ drachtio: this.target }, `drachtio-server refused us: ${err.message}`);
      return;
    }
    this.#up = true;
    this.#lastError = undefined;
    this.#addresses = parseHostports(hostport ?? '');
    this.#logger.info(
      { drachtio: this.target, serverVersion, sip: hostport },
      'connected to drachtio-server',
    );
    for (const wake of [...this.#waiters]) wake();
    this.emit('up', this.#addresses);
  }

  #onDown(err: Error | undefined): void {
    if (!this.#up) return;
    this.#up = false;
    if (!this.#closed) this.#logger.warn({ drachtio: this.target }, 'lost the drachtio-server connection');
    this.emit('down', err);
  }
}

function codeOf(err: Error): string | undefined {
  const code = (err as NodeJS.ErrnoException).code;
  return typeof code === 'string' ? code : undefined;
}
