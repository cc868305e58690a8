import type { Logger } from '../log/index.js';
import { redisEndpoint } from './redis-endpoint.js';

// Replies that mean the server refused our credentials: retrying will not help until an operator
// fixes the config or the ACL, so they are errors, not connection noise.
const REFUSED_LOGIN = /^(WRONGPASS|NOAUTH|NOPERM)\b/;

/**
 * An `error` listener for an ioredis connection that names the server (not the password; the
 * logger censors the AUTH arguments an ioredis ReplyError carries).
 */
export function redisErrorHandler(logger: Logger, url: string, connection: string): (error: Error) => void {
  const redis = redisEndpoint(url);
  return (error) => {
    if (REFUSED_LOGIN.test(error.message))
      logger.error({ err: error, redis, connection }, `redis ${redis} refused the login`);
    else logger.warn({ err: error, redis, connection }, `redis ${connection} error`);
  };
}
