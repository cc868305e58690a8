import { DialerError } from '../kernel/index.js';

/**
 * `dialer campaign create` read the file but its import was refused (no valid row, a malformed
 * CSV): nothing was enqueued, and the exit status says so (2, like other refused input) after the
 * report is printed. Code: `IMPORT_REFUSED`.
 */
export class ImportRefusedError extends DialerError {
  readonly code = 'IMPORT_REFUSED';
}
