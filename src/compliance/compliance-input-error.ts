import { DialerError } from '../kernel/index.js';

/** A bad argument to a compliance list or cap (campaign name, limit, number). Code: `COMPLIANCE_INPUT_INVALID`. */
export class ComplianceInputError extends DialerError {
  readonly code = 'COMPLIANCE_INPUT_INVALID';

  constructor(
    readonly field: string,
    readonly value: unknown,
    reason: string,
  ) {
    super(`${field} ${JSON.stringify(typeof value === 'string' ? value.slice(0, 100) : value)}: ${reason}`);
  }
}
