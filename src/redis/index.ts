export { LuaScript } from './lua-script.js';
export { ensureRedisReachable, REDIS_PING_TIMEOUT_MS } from './ensure-redis-reachable.js';
export { redactRedisUrl } from './redact-redis-url.js';
export { RedisUnreachableError } from './redis-unreachable-error.js';
export { LUA_NOW } from './lua-script.js';
export { redisErrorHandler } from './redis-error-handler.js';
export { RedisAvailability, REDIS_READY_TIMEOUT_MS } from './redis-availability.js';
export { isRedisRefusal } from './is-redis-refusal.js';
export {
  createRedisConnection,
  duplicateRedisConnection,
  type RedisConnectionOptions,
} from './create-redis-connection.js';
export type { RedisConnection } from './redis-connection.js';
export { describeRedisTarget } from './describe-redis-target.js';
export { redisEndpoint } from './redis-endpoint.js';
export { scanKeys } from './scan-keys.js';
export { isRedisTarget } from './is-redis-target.js';
export { queueUntilFirstReady } from './queue-until-first-ready.js';
