import type { SipDtmf } from './engine.js';

const DTMF_SIGNALS = '0123456789*#ABCD';

/**
 * The digit of a DTMF INFO: `application/dtmf-relay` (`Signal=5` / `Duration=160` lines, the
 * Cisco form carriers use) or `application/dtmf` (the digit alone). Some send the RFC 4733 event
 * code (10 for *, 11 for #) instead of the character. Anything else is not DTMF. Both engines
 * read INFO through this, so a carrier's digits mean the same whichever one carries the call.
 */
export function dtmfOfInfo(contentTypeHeader: string | undefined, body: string): SipDtmf | undefined {
  const contentType = (contentTypeHeader ?? '').split(';')[0]!.trim().toLowerCase();
  if (contentType !== 'application/dtmf-relay' && contentType !== 'application/dtmf') return undefined;
  let signal: string | undefined;
  let duration: number | undefined;
  if (contentType === 'application/dtmf') {
    signal = body.trim();
  } else {
    for (const line of body.split(/\r?\n/)) {
      const match = /^\s*(signal|duration)\s*=\s*(\S+)\s*$/i.exec(line);
      if (!match) continue;
      if (match[1]!.toLowerCase() === 'signal') signal = match[2];
      else duration = Number(match[2]);
    }
  }
  if (signal === undefined) return undefined;
  const digit = /^1[0-5]$/.test(signal) ? DTMF_SIGNALS[Number(signal)] : signal.toUpperCase();
  if (digit === undefined || digit.length !== 1 || !DTMF_SIGNALS.includes(digit)) return undefined;
  return {
    digit,
    contentType,
    ...(duration !== undefined && Number.isFinite(duration) && duration >= 0 ? { durationMs: duration } : {}),
  };
}
