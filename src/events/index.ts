export { TypedEventEmitter, type EventMap } from './typed-event-emitter.js';
