import { DialerError } from '../kernel/index.js';
import { isRedisRefusal, type RedisAvailability } from '../redis/index.js';
import { httpErrorResponse } from './http-error-response.js';

/**
 * A Redis failure that reached a route (refused command, retries used up, connection closed)
 * restated as RedisUnreachableError naming the URL (password masked); anything else unchanged.
 */
export function redisFault(error: unknown, availability: RedisAvailability): unknown {
  if (error instanceof DialerError || !(error instanceof Error)) return error;
  if (isRedisRefusal(error) || httpErrorResponse(error).body.error === 'REDIS_UNAVAILABLE')
    return availability.unavailable(error);
  return error;
}
