import type { DialerConfig } from '../config/index.js';
import { DialerClient } from '../jobs/index.js';
import { ensureRedisReachable } from '../redis/index.js';

/**
 * A producer client that validates against the config's trunks (no worker needs to be up), once
 * Redis has answered a PING: a command against a dead Redis fails in seconds, naming the URL,
 * instead of waiting on ioredis's reconnects.
 */
export async function clientFromConfig(config: DialerConfig): Promise<DialerClient> {
  const client = new DialerClient({
    redis: config.redis,
    prefix: config.queuePrefix,
    trunks: config.trunks.map((t) => ({
      name: t.name,
      domain: t.domain,
      ...(t.defaultCountry ? { defaultCountry: t.defaultCountry } : {}),
      ...(t.callerId ? { callerId: t.callerId } : {}),
      ...(t.allowedCallerIds ? { allowedCallerIds: t.allowedCallerIds } : {}),
    })),
  });
  try {
    await ensureRedisReachable(client.redis, config.redis);
  } catch (error) {
    // quit() would queue behind the reconnects too.
    client.redis.disconnect();
    throw error;
  }
  return client;
}
