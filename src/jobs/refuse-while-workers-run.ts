import { globEscape, type DialerKeys } from '../kernel/index.js';
import { scanKeys, type RedisConnection } from '../redis/index.js';
import { MigrationRefusedError } from './migration-refused-error.js';

/**
 * A key migration moves what live workers read and write: refused while any worker's lease is alive.
 * @throws MigrationRefusedError
 */
export async function refuseWhileWorkersRun(redis: RedisConnection, keys: DialerKeys): Promise<void> {
  for await (const leases of scanKeys(redis, `${globEscape(keys.workerLease(''))}*`, 500)) {
    if (leases.length > 0)
      throw new MigrationRefusedError(
        `a worker is running (lease ${leases[0]}): stop every worker and producer before migrating keys`,
      );
  }
}
