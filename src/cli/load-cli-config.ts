import type { DialerConfig, SecretUse } from '../config/index.js';
import { loadConfig } from '../config/index.js';

/**
 * `--config FILE`, else `DIALER_CONFIG`. `secrets`: what the command uses (default none: most
 * commands only talk to Redis), so a producer's host needs no trunk password or API token.
 */
export function loadCliConfig(
  path: string | undefined,
  env: NodeJS.ProcessEnv,
  secrets: readonly SecretUse[] = [],
): Promise<DialerConfig> {
  return loadConfig({ ...(path !== undefined ? { path } : {}), env, secrets });
}
