/**
 * Rules for the extra SIP headers that config, jobs and the API may ask a call to carry. One list
 * for every edge: config, enqueue and the engine must refuse the same names, or a header the
 * config accepts would fail every call at the engine. Names are compared canonically (compact
 * form expanded, case folded): `i` is `Call-ID` to every SIP parser, so it is `Call-ID` here.
 */

/** RFC 3261 §25.1 `token`: what a header name may be made of. */
export const SIP_TOKEN = /^[A-Za-z0-9\-.!%*_+`'~]+$/;

/** RFC 3261 §7.3.3 and later RFCs (the IANA SIP header registry): compact form → full name. */
export const COMPACT_HEADER_FORMS: Readonly<Record<string, string>> = Object.freeze({
  i: 'Call-ID',
  m: 'Contact',
  e: 'Content-Encoding',
  l: 'Content-Length',
  c: 'Content-Type',
  f: 'From',
  s: 'Subject',
  k: 'Supported',
  t: 'To',
  v: 'Via',
  o: 'Event',
  r: 'Refer-To',
  u: 'Allow-Events',
  x: 'Session-Expires',
  b: 'Referred-By',
  a: 'Accept-Contact',
  j: 'Reject-Contact',
  d: 'Request-Disposition',
  y: 'Identity',
  n: 'Identity-Info',
});

/**
 * Headers the SIP layer writes itself (canonical names); setting them would corrupt transactions,
 * dialogs or auth, or put a second copy on the wire (`Supported: timer` is on every INVITE, and
 * `Session-Expires`/`Min-SE` when `sip.sessionExpires` is on).
 */
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
  'supported',
  'session-expires',
  'min-se',
  // RFC 3262: the engine answers reliable provisionals; a job's own Require would ask the carrier
  // for extensions the engine does not do, and RAck/RSeq belong to the PRACK exchange.
  'require',
  'rack',
  'rseq',
  // Caller-ID presentation (RFC 3325, 3323, 5806) follows the trunk's rules and the job's
  // `callerIdWithheld`: a job's own copy could unmask a withheld caller or assert an identity the
  // trunk's allowed list refuses.
  'p-asserted-identity',
  'privacy',
  'diversion',
]);

/** The name every SIP parser reads `name` as, lower-cased: `I` → `call-id`, `X-Foo` → `x-foo`. */
export function canonicalHeaderKey(name: string): string {
  const lower = name.toLowerCase();
  return COMPACT_HEADER_FORMS[lower]?.toLowerCase() ?? lower;
}

export function isEngineOwnedHeader(name: string): boolean {
  return ENGINE_OWNED_HEADERS.has(canonicalHeaderKey(name));
}

/**
 * Why a custom header name is refused, or undefined when it may be sent. A one-letter name that
 * is no compact form we know is refused too: a later RFC may give it one, and the carrier's parser
 * may know it when ours does not.
 */
export function customHeaderNameProblem(name: string): string | undefined {
  if (!SIP_TOKEN.test(name)) return 'header name is not a SIP token';
  if (isEngineOwnedHeader(name)) {
    const full = COMPACT_HEADER_FORMS[name.toLowerCase()];
    return full === undefined
      ? 'is set by the dialer and cannot be overridden'
      : `is the compact form of ${full}, which the dialer sets and cannot be overridden`;
  }
  if (name.length === 1 && COMPACT_HEADER_FORMS[name.toLowerCase()] === undefined)
    return 'one-letter header names are reserved for compact forms (RFC 3261 §7.3.3)';
  return undefined;
}

/** The first name in `names` that is the same header as an earlier one (`Subject` and `s`), if any. */
export function duplicateHeaderName(names: Iterable<string>): { name: string; sameAs: string } | undefined {
  const seen = new Map<string, string>();
  for (const name of names) {
    const key = canonicalHeaderKey(name);
    const earlier = seen.get(key);
    if (earlier !== undefined) return { name, sameAs: earlier };
    seen.set(key, name);
  }
  return undefined;
}

/**
 * Layers header maps, later ones winning per canonical name (a job's `s` replaces its trunk's
 * `Subject`), so a call never carries two copies of one header.
 */
export function mergeHeaders(
  ...layers: readonly (Readonly<Record<string, string>> | undefined)[]
): Record<string, string> {
  const byKey = new Map<string, [string, string]>();
  for (const layer of layers) {
    for (const [name, value] of Object.entries(layer ?? {})) {
      const key = canonicalHeaderKey(name);
      byKey.delete(key);
      byKey.set(key, [name, value]);
    }
  }
  return Object.fromEntries(byKey.values());
}
