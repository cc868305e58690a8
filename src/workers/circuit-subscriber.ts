import { duplicateRedisConnection, type RedisConnection } from '../redis/index.js';
import { TypedEventEmitter } from '../kernel/index.js';
import type { DialerKeys } from '../kernel/index.js';
import { parseCircuitControlMessage, type CircuitControlMessage } from './circuit-control-message.js';
import { TrunkClosedError } from './trunk-closed-error.js';

export type CircuitSubscriberEvents = {
  /** A circuit changed state somewhere in the fleet (this process's own changes included). */
  change: [message: CircuitControlMessage];
  /**
   * The subscription was re-established after a lost connection: messages published meanwhile
   * were missed, so re-read `TrunkCircuit.state()` of the trunks you serve.
   */
  resubscribed: [];
};

/**
 * Listens on `keys.control` for circuit announcements, on its own connection (a subscribed
 * connection can run nothing else): `const sub = await CircuitSubscriber.open(redis, keys);
 * sub.on('change', m => …)` or `await sub.nextChange('carrier')`. Other message types on the
 * channel are ignored.
 */
export class CircuitSubscriber extends TypedEventEmitter<CircuitSubscriberEvents> {
  readonly #connection: RedisConnection;
  readonly #channel: string;
  #ready = false;
  #closed: Promise<void> | undefined;
  /** Rejecters of pending `nextChange` promises, called on close. */
  readonly #pending = new Set<() => void>();

  private constructor(connection: RedisConnection, channel: string) {
    super();
    this.#connection = connection;
    this.#channel = channel;
    connection.on('message', (channel: string, payload: string) => {
      if (channel !== this.#channel) return;
      const message = parseCircuitControlMessage(payload);
      if (message !== undefined) this.emit('change', message);
    });
    connection.on('ready', () => {
      // ioredis re-subscribes by itself on reconnect (autoResubscribe); the first 'ready' is the open.
      if (this.#ready) this.emit('resubscribed');
      this.#ready = true;
    });
    // Connection errors are retried by ioredis; without a listener they would crash the process.
    connection.on('error', () => {});
  }

  /** Subscribes on a duplicate of `redis` (which stays untouched); resolves once subscribed. */
  static async open(redis: RedisConnection, keys: DialerKeys): Promise<CircuitSubscriber> {
    const connection = duplicateRedisConnection(redis);
    const subscriber = new CircuitSubscriber(connection, keys.control);
    try {
      await connection.subscribe(keys.control);
    } catch (error) {
      connection.disconnect();
      throw error;
    }
    subscriber.#ready = true;
    return subscriber;
  }

  /** Resolves with the next announcement (for `trunk`, if given). Rejects if the subscriber closes first. */
  nextChange(trunk?: string): Promise<CircuitControlMessage> {
    if (this.#closed !== undefined)
      return Promise.reject(new TrunkClosedError('circuit subscriber is closed'));
    return new Promise((resolve, reject) => {
      const onChange = (message: CircuitControlMessage): void => {
        if (trunk !== undefined && message.trunk !== trunk) return;
        this.off('change', onChange);
        this.#pending.delete(onClose);
        resolve(message);
      };
      const onClose = (): void => {
        this.off('change', onChange);
        reject(new TrunkClosedError('circuit subscriber is closed'));
      };
      this.#pending.add(onClose);
      this.on('change', onChange);
    });
  }

  /** Unsubscribes and closes its own connection. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      for (const reject of this.#pending) reject();
      this.#pending.clear();
      try {
        await this.#connection.quit();
      } catch {
        this.#connection.disconnect();
      }
      this.removeAllListeners();
    })();
    return this.#closed;
  }
}
