import type { RedisTarget } from '../kernel/index.js';
import type { Logger } from '../log/index.js';
import { isRedisRefusal } from './is-redis-refusal.js';
import { redisEndpoint } from './redis-endpoint.js';

/**
 * An `error` listener for an ioredis connection that names the server (not the password; the
 * logger censors the AUTH arguments an ioredis ReplyError carries).
 */
export function redisErrorHandler(
  logger: Logger,
  target: RedisTarget,
  connection: string,
): (error: Error) => void {
  const redis = redisEndpoint(target);
  return (error) => {
    // A refusal will not heal by reconnecting, so it is an error, not connection noise.
    if (isRedisRefusal(error))
      logger.error({ err: error, redis, connection }, `redis ${redis} refused the login`);
    else logger.warn({ err: error, redis, connection }, `redis ${connection} error`);
  };
}
