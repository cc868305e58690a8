import { DialerError } from '../kernel/index.js';

/**
 * `migrate-keys` will not move keys while the deployment may be using them (a worker's lease is
 * alive), or would overwrite keys already in the new layout. Code: `MIGRATION_REFUSED`.
 */
export class MigrationRefusedError extends DialerError {
  readonly code = 'MIGRATION_REFUSED';
}
