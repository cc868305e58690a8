/**
 * Rules for the extra SIP headers that config, jobs and the API may ask a call to carry. One list
 * for every edge: config, enqueue and the engine must refuse the same names, or a header the
 * config accepts would fail every call at the engine.
 */

/** RFC 3261 §25.1 `token`: what a header name may be made of. */
export const SIP_TOKEN = /^[A-Za-z0-9\-.!%*_+`'~]+$/;

/** Headers the SIP layer writes itself; setting them would corrupt transactions, dialogs or auth. */
export const ENGINE_OWNED_HEADERS: ReadonlySet<string> = new Set([
  'via',
  'from',
  'to',
  'call-id',
  'cseq',
  'contact',
  'content-length',
  'content-type',
  'max-forwards',
  'route',
  'record-route',
  'authorization',
  'proxy-authorization',
]);

export function isEngineOwnedHeader(name: string): boolean {
  return ENGINE_OWNED_HEADERS.has(name.toLowerCase());
}
