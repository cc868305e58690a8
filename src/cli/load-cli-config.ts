import type { DialerConfig } from '../config/config-schema.js';
import { loadConfig } from '../config/load-config.js';

/** `--config FILE`, else `DIALER_CONFIG`. */
export function loadCliConfig(path: string | undefined, env: NodeJS.ProcessEnv): Promise<DialerConfig> {
  return loadConfig({ ...(path !== undefined ? { path } : {}), env });
}
