import { EventEmitter } from 'node:events';

/** Maps each event name to the tuple of its listener's arguments. */
export type EventMap = Record<string, unknown[]>;

/**
 * An EventEmitter whose event names and payloads are checked by the compiler (after mediasoup's
 * EnhancedEventEmitter). A listener that throws is reported on `listenerError` instead of
 * unwinding into the SIP stack that emitted the event.
 */
export class TypedEventEmitter<E extends EventMap> {
  readonly #emitter = new EventEmitter({ captureRejections: false });

  constructor() {
    this.#emitter.setMaxListeners(Infinity);
  }

  on<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    this.#emitter.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  once<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    this.#emitter.once(event, listener as (...args: unknown[]) => void);
    return this;
  }

  off<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    this.#emitter.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  listenerCount<K extends keyof E & string>(event: K): number {
    return this.#emitter.listenerCount(event);
  }

  protected emit<K extends keyof E & string>(event: K, ...args: E[K]): boolean {
    try {
      return this.#emitter.emit(event, ...args);
    } catch (error) {
      this.#emitter.emit('listenerError', event, error);
      return true;
    }
  }

  protected removeAllListeners(): void {
    this.#emitter.removeAllListeners();
  }
}
