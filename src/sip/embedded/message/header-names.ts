import { COMPACT_HEADER_FORMS as COMPACT } from '../../../kernel/index.js';

/** Names whose conventional spelling is not plain Title-Case of each dash-separated word. */
const SPECIAL = [
  'Call-ID',
  'CSeq',
  'WWW-Authenticate',
  'MIME-Version',
  'RSeq',
  'RAck',
  'Min-SE',
  'Content-ID',
  'SIP-ETag',
  'SIP-If-Match',
  'P-Called-Party-ID',
  'P-Visited-Network-ID',
  'P-Associated-URI',
  'P-Charging-Function-Addresses',
  'P-DCS-Trace-Party-ID',
  'P-DCS-OSPS',
  'P-DCS-Billing-Info',
  'P-DCS-LAES',
  'P-DCS-Redirect',
  'Policy-ID',
  'User-to-User',
];

const seeded = new Map<string, string>();
for (const [short, long] of Object.entries(COMPACT)) seeded.set(short, long);
for (const name of SPECIAL) seeded.set(name.toLowerCase(), name);

/**
 * Results keyed by the name exactly as received, so the common case (a peer that spells names the
 * same way every time) costs one Map lookup and no lower-casing. Bounded: names come from the
 * network, and a peer sending endless distinct names must not grow memory.
 */
const CACHE_LIMIT = 1024;
const cache = new Map<string, string>();

/** `cseq`, `CSEQ`, `CSeq` → `CSeq`; `i` → `Call-ID`; `x-foo-bar` → `X-Foo-Bar`. */
export function canonicalHeaderName(name: string): string {
  // The names of nearly every message, already canonical: a length check and a compare each,
  // cheaper than hashing a freshly sliced string for the Map.
  switch (name) {
    case 'Via':
    case 'From':
    case 'To':
    case 'Call-ID':
    case 'CSeq':
    case 'Contact':
    case 'Max-Forwards':
    case 'Content-Length':
    case 'Content-Type':
    case 'Record-Route':
    case 'Route':
    case 'Allow':
    case 'Supported':
    case 'User-Agent':
    case 'Server':
    case 'WWW-Authenticate':
    case 'Proxy-Authenticate':
    case 'Authorization':
    case 'Proxy-Authorization':
    case 'Expires':
      return name;
  }
  const hit = cache.get(name);
  if (hit !== undefined) return hit;
  const lower = name.toLowerCase();
  const canonical = seeded.get(lower) ?? titleCase(lower);
  // Clearing (rather than refusing new entries) lets a well-behaved peer's names back in after a flood.
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(name, canonical);
  return canonical;
}

function titleCase(lower: string): string {
  let out = '';
  let start = true;
  for (let i = 0; i < lower.length; i++) {
    const ch = lower[i] as string;
    out += start ? ch.toUpperCase() : ch;
    start = ch === '-';
  }
  return out;
}
