// The shared kernel: what every folder may use and what depends on nothing of ours.
export { callerIdProblem, callerIdUri, MAX_CALLER_ID_LENGTH } from './caller-id.js';
export { DialerError } from './dialer-error.js';
export { DialerKeys } from './dialer-keys.js';
export { globEscape } from './glob-escape.js';
export { DEFAULT_USER_AGENT, DIALER_VERSION } from './dialer-version.js';
export {
  canonicalHeaderKey,
  COMPACT_HEADER_FORMS,
  customHeaderNameProblem,
  duplicateHeaderName,
  ENGINE_OWNED_HEADERS,
  isEngineOwnedHeader,
  mergeHeaders,
  SIP_TOKEN,
} from './header-rules.js';
export { NAME_PATTERN } from './name-pattern.js';
export type { RedisClusterTarget, RedisNode, RedisSentinelTarget, RedisTarget } from './redis-target.js';
export {
  TypedEventEmitter,
  type EventMap,
  type ListenerErrorEvents,
  type WithListenerError,
} from './typed-event-emitter.js';
