import { EventEmitter } from 'node:events';

/** Maps each event name to the tuple of its listener's arguments. */
export type EventMap = Record<string, unknown[]>;

/** The event every emitter has: a listener for `event` threw `error`. */
export type ListenerErrorEvents = {
  listenerError: [event: string, error: unknown];
};

/** An emitter's own events plus `listenerError`. */
export type WithListenerError<E extends EventMap> = E & ListenerErrorEvents;

/**
 * An EventEmitter whose event names and payloads are checked by the compiler (after mediasoup's
 * EnhancedEventEmitter). A listener that throws is reported on `listenerError` instead of
 * unwinding into the SIP stack that emitted the event; whoever owns a logger subscribes to it.
 * With nobody subscribed the error goes to `process.emitWarning`, so it is never silently lost.
 */
export class TypedEventEmitter<E extends EventMap> {
  readonly #emitter = new EventEmitter({ captureRejections: false });

  constructor() {
    this.#emitter.setMaxListeners(Infinity);
  }

  on<K extends keyof WithListenerError<E> & string>(
    event: K,
    listener: (...args: WithListenerError<E>[K]) => void,
  ): this {
    this.#emitter.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  once<K extends keyof WithListenerError<E> & string>(
    event: K,
    listener: (...args: WithListenerError<E>[K]) => void,
  ): this {
    this.#emitter.once(event, listener as (...args: unknown[]) => void);
    return this;
  }

  off<K extends keyof WithListenerError<E> & string>(
    event: K,
    listener: (...args: WithListenerError<E>[K]) => void,
  ): this {
    this.#emitter.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  listenerCount<K extends keyof WithListenerError<E> & string>(event: K): number {
    return this.#emitter.listenerCount(event);
  }

  protected emit<K extends keyof E & string>(event: K, ...args: E[K]): boolean {
    try {
      return this.#emitter.emit(event, ...args);
    } catch (error) {
      this.#reportListenerError(event, error);
      return true;
    }
  }

  protected removeAllListeners(): void {
    this.#emitter.removeAllListeners();
  }

  #reportListenerError(event: string, error: unknown): void {
    if (this.#emitter.listenerCount('listenerError') > 0) {
      try {
        this.#emitter.emit('listenerError', event, error);
        return;
      } catch {
        // The reporter threw too: fall through to the process warning rather than loop.
      }
    }
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.emitWarning(`a '${event}' listener threw: ${detail}`, { code: 'LISTENER_ERROR' });
  }
}
