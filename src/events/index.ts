export {
  TypedEventEmitter,
  type EventMap,
  type ListenerErrorEvents,
  type WithListenerError,
} from './typed-event-emitter.js';
