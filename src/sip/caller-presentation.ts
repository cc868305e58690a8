import { DEFAULT_P_ASSERTED_IDENTITY } from '../config/index.js';
import { callerIdUri } from '../kernel/index.js';
import type { InviteOptions } from './engine.js';

/** RFC 3323 §4.1.1.3: the From of a caller who withholds their identity. */
export const ANONYMOUS_FROM = '"Anonymous" <sip:anonymous@anonymous.invalid>';

/** How an INVITE presents its caller: the From (no tag) and the identity headers, in order. */
export interface CallerPresentation {
  readonly from: string;
  readonly headers: ReadonlyArray<readonly [string, string]>;
}

/**
 * The one reading of caller-ID presentation both engines send: From, P-Asserted-Identity in the
 * trunk's form, `Privacy: id` when withheld, Diversion when the trunk names one. These names are
 * engine-owned (kernel header rules), so a job's own headers never add a second copy.
 */
export function callerPresentation(options: InviteOptions): CallerPresentation {
  const { trunk, callerId } = options;
  const fromUser = options.from ?? trunk.username ?? digitsOf(callerId) ?? 'dialer';
  const withheld = options.callerIdWithheld === true;
  const headers: Array<readonly [string, string]> = [];
  const form = trunk.pAssertedIdentity ?? DEFAULT_P_ASSERTED_IDENTITY;
  // Withheld without a caller ID: the carrier still needs whom to bill and trace (RFC 3325 §9.1).
  const asserted = callerId ?? (withheld ? `sip:${fromUser}@${trunk.domain}` : undefined);
  if (form !== 'off' && asserted !== undefined) {
    headers.push(['P-Asserted-Identity', `<${assertedUri(asserted, form, trunk.domain)}>`]);
  }
  if (withheld) headers.push(['Privacy', 'id']);
  if (trunk.diversion !== undefined) {
    headers.push(['Diversion', `<${callerIdUri(trunk.diversion, trunk.domain)}>;reason=unconditional`]);
  }
  if (withheld) return { from: ANONYMOUS_FROM, headers };
  const display = callerId !== undefined ? `"${callerId.replace(/["\\]/g, '')}" ` : '';
  return { from: `${display}<sip:${fromUser}@${trunk.domain}>`, headers };
}

/** A `tel:` URI needs a global number (RFC 3966 §5.1.4); a national one stays `sip:`. */
function assertedUri(value: string, form: 'sip' | 'tel', domain: string): string {
  const digits = value.replace(/[^0-9+]/g, '');
  if (form === 'tel' && !/^(sips?|tel):/.test(value) && digits.startsWith('+')) return `tel:${digits}`;
  return callerIdUri(value, domain);
}

function digitsOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const digits = value.replace(/[^0-9+]/g, '');
  return digits.length > 0 ? digits : undefined;
}
