export { LuaScript } from './lua-script.js';
export { ensureRedisReachable, REDIS_PING_TIMEOUT_MS } from './ensure-redis-reachable.js';
export { redactRedisUrl } from './redact-redis-url.js';
export { RedisUnreachableError } from './redis-unreachable-error.js';
export { LUA_NOW } from './lua-script.js';
export { redisErrorHandler } from './redis-error-handler.js';
