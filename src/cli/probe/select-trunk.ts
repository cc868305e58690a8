import type { DialerConfig, TrunkConfig } from '../../config/index.js';
import { UsageError } from '../usage-error.js';

/** The named trunk, or the only/first one; an unknown name lists the known ones. */
export function selectTrunk(config: DialerConfig, name: string | undefined): TrunkConfig {
  if (name === undefined) {
    const first = config.trunks[0];
    if (!first) throw new UsageError('the config has no trunks');
    return first;
  }
  const trunk = config.trunks.find((t) => t.name === name);
  if (!trunk) {
    throw new UsageError(
      `--trunk "${name}" is not in the config (trunks: ${config.trunks.map((t) => t.name).join(', ')})`,
    );
  }
  return trunk;
}
