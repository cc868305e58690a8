import type { DialerConfig } from '../config/config-schema.js';
import { DialerClient } from '../jobs/dialer-client.js';

/** A producer client that validates against the config's trunks (no worker needs to be up). */
export function clientFromConfig(config: DialerConfig): DialerClient {
  return new DialerClient({
    redis: config.redis,
    prefix: config.queuePrefix,
    trunks: config.trunks.map((t) => ({
      name: t.name,
      domain: t.domain,
      ...(t.defaultCountry ? { defaultCountry: t.defaultCountry } : {}),
      ...(t.callerId ? { callerId: t.callerId } : {}),
    })),
  });
}
