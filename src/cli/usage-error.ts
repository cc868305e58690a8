import { DialerError } from '../kernel/index.js';

/** Bad command-line usage: the CLI exits with status 2. Code: `CLI_USAGE`. */
export class UsageError extends DialerError {
  readonly code = 'CLI_USAGE';
}
