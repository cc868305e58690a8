import { DialerError } from '../kernel/index.js';

/**
 * Why a number was refused. The first four are libphonenumber-js parse errors; `INVALID` means it
 * parsed but is not a number that can exist; `BAD_CHARACTERS` means it carried something that has
 * no place in a phone number and could end up in a SIP message (`@`, `;`, `<`, CR, `sip:`…).
 */
export type InvalidNumberReason =
  'NOT_A_NUMBER' | 'INVALID_COUNTRY' | 'TOO_SHORT' | 'TOO_LONG' | 'INVALID' | 'BAD_CHARACTERS';

/** Longest input shown in the message; the full value stays on `input`. */
const MESSAGE_INPUT_MAX = 80;

/** A phone number that cannot be dialled. Stable code: `NUMBER_INVALID`. */
export class InvalidNumberError extends DialerError {
  readonly code = 'NUMBER_INVALID';
  readonly field: string;
  readonly input: string;
  readonly reason: InvalidNumberReason;

  constructor(init: { field: string; input: string; reason: InvalidNumberReason; cause?: unknown }) {
    const shown =
      init.input.length > MESSAGE_INPUT_MAX ? `${init.input.slice(0, MESSAGE_INPUT_MAX)}…` : init.input;
    // JSON.stringify quotes the value and escapes CR/LF/NUL, so hostile input cannot forge log lines.
    super(
      `${init.field} ${JSON.stringify(shown)}: ${init.reason}`,
      init.cause === undefined ? undefined : { cause: init.cause },
    );
    this.field = init.field;
    this.input = init.input;
    this.reason = init.reason;
  }
}
