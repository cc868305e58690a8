import { DialerError } from '../kernel/index.js';

/** The demo cannot set itself up (a tool is missing and cannot be installed here). Code: `DEMO_SETUP`. */
export class DemoSetupError extends DialerError {
  readonly code = 'DEMO_SETUP';

  constructor(
    message: string,
    /** The command the user should run, when there is one. */
    readonly command?: string,
  ) {
    super(command === undefined ? message : `${message}\n  run: ${command}`);
  }
}
