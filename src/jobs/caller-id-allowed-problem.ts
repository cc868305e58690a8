import type { TrunkInfo } from './trunk-directory.js';

/** A caller ID as the allowed list compares it: a number's digits and `+`, a URI lower-cased. */
function comparable(value: string): string {
  return /^(sips?|tel):/i.test(value) ? value.toLowerCase() : value.replace(/[^0-9+]/g, '');
}

/**
 * Why `callerId` may not be presented on `trunk`, or undefined when it may: a trunk with an
 * allowed list (`allowedCallerIds`, the numbers the carrier lets this account present) refuses
 * any other, at enqueue, rather than have the carrier reject or silently replace it on every call.
 */
export function callerIdAllowedProblem(callerId: string, trunk: TrunkInfo): string | undefined {
  const allowed = trunk.allowedCallerIds;
  if (allowed === undefined) return undefined;
  const wanted = comparable(callerId);
  if (allowed.some((entry) => comparable(entry) === wanted)) return undefined;
  return `is not in trunk ${trunk.name}'s allowedCallerIds`;
}
