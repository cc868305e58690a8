import { callerIdProblem } from '../kernel/index.js';
import { checkExtraHeaders } from './check-header.js';
import type { InviteOptions } from './engine.js';
import { HeaderValueError } from './header-value-error.js';

// RFC 3261 §25.1 user part: unreserved, escaped and user-unreserved characters.
const SIP_USER = /^(?:[A-Za-z0-9\-_.!~*'()&=+$,;?/]|%[0-9A-Fa-f]{2})+$/;

/**
 * The checks both engines make before an INVITE is built, so a rule added here holds for each:
 * custom headers, the caller ID, and `from` (the From user part, which the engine writes itself).
 * @throws HeaderValueError naming the field and the value.
 */
export function checkInviteOptions(options: InviteOptions): void {
  checkExtraHeaders(options.headers ?? {});
  if (options.callerId !== undefined) {
    const problem = callerIdProblem(options.callerId);
    if (problem !== undefined) throw new HeaderValueError('callerId', options.callerId, problem);
  }
  if (options.from !== undefined) {
    if (options.from.length > 64 || !SIP_USER.test(options.from))
      throw new HeaderValueError('from', options.from, 'must be a SIP user part of at most 64 characters');
  }
}
