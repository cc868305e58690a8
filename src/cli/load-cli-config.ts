import type { DialerConfig } from '../config/index.js';
import { loadConfig } from '../config/index.js';

/** `--config FILE`, else `DIALER_CONFIG`. */
export function loadCliConfig(path: string | undefined, env: NodeJS.ProcessEnv): Promise<DialerConfig> {
  return loadConfig({ ...(path !== undefined ? { path } : {}), env });
}
