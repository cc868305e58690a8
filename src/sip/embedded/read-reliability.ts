import type { SipResponse } from './message/sip-message.js';
import { splitHeaderValues } from './message/split-header-values.js';

/** Option tags we honour when a provisional response requires them (RFC 3261 §20.32). */
export const SUPPORTED_OPTION_TAGS = ['100rel', 'timer'] as const;

/**
 * What a provisional response asks of us: nothing, a PRACK (RFC 3262 §4: `Require: 100rel` and
 * an RSeq), or an extension we lack, which makes the call impossible to set up correctly.
 */
export type Reliability =
  | { readonly kind: 'unreliable' }
  | { readonly kind: 'reliable'; readonly rseq: number }
  | { readonly kind: 'unsupported'; readonly extensions: readonly string[] };

const MAX_RSEQ = 2 ** 32 - 1;

export function readReliability(response: SipResponse): Reliability {
  if (response.status <= 100 || response.status >= 200) return { kind: 'unreliable' };
  const required = response.headers
    .getAll('Require')
    .flatMap((value) => splitHeaderValues(value))
    .map((tag) => tag.trim().toLowerCase())
    .filter((tag) => tag.length > 0);
  const unsupported = required.filter((tag) => !(SUPPORTED_OPTION_TAGS as readonly string[]).includes(tag));
  if (unsupported.length > 0) return { kind: 'unsupported', extensions: unsupported };
  if (!required.includes('100rel')) return { kind: 'unreliable' };
  // RFC 3262 §7.1: RSeq is 1 to 2**32-1. Without a usable one there is nothing to acknowledge.
  const rseqText = response.headers.get('RSeq')?.trim() ?? '';
  const rseq = /^\d{1,10}$/.test(rseqText) ? Number(rseqText) : Number.NaN;
  if (!Number.isInteger(rseq) || rseq < 1 || rseq > MAX_RSEQ) return { kind: 'unreliable' };
  return { kind: 'reliable', rseq };
}
