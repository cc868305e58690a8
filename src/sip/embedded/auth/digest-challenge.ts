import { resolveDigestAlgorithm } from './digest-algorithm.js';
import { DigestChallengeError } from './digest-challenge-error.js';
import { UnsupportedDigestAlgorithmError } from './unsupported-digest-algorithm-error.js';

/** One parsed Digest challenge from a WWW-Authenticate or Proxy-Authenticate header (RFC 7616 §3.3). */
export interface DigestChallenge {
  readonly scheme: 'Digest';
  readonly realm: string;
  readonly nonce: string;
  readonly opaque?: string;
  /** As the server sent it (case kept, so it can be echoed); `MD5` when absent. */
  readonly algorithm: string;
  /**
   * True when the challenge carried no `algorithm` and MD5 was assumed: the Authorization then omits
   * it too, as RFC 2069-era servers expect. Absent on hand-built challenges, which echo `algorithm`.
   */
  readonly implicitAlgorithm?: boolean;
  /** Tokens of the qop list, lower-cased (`['auth', 'auth-int']`); empty for RFC 2069 servers. */
  readonly qop: readonly string[];
  readonly stale: boolean;
  readonly domain?: string;
  readonly userhash: boolean;
  readonly charset?: string;
}

interface RawChallenge {
  scheme: string;
  params: Array<[name: string, value: string]>;
}

/**
 * Parses one WWW-Authenticate / Proxy-Authenticate value holding one Digest challenge.
 * Scheme and parameter names are case-insensitive; values may be quoted (with backslash escapes) or
 * bare tokens; unknown parameters are ignored. Throws `DigestChallengeError` naming what is wrong.
 */
export function parseDigestChallenge(headerValue: string): DigestChallenge {
  const list = splitChallenges(headerValue);
  const first = list[0];
  if (first === undefined) throw new DigestChallengeError('scheme', 'empty authentication challenge');
  if (list.length > 1) {
    throw new DigestChallengeError(
      'scheme',
      `header value holds ${list.length} challenges (${list.map((c) => c.scheme).join(', ')}); use pickChallenge: ${excerpt(headerValue)}`,
    );
  }
  return toDigestChallenge(first, headerValue);
}

/**
 * Chooses among the challenges of a 401/407 (several header lines, or several challenges in one
 * line) the strongest Digest one we can compute: SHA-512-256 > SHA-256 > MD5, a -sess form ranking
 * with its hash. On a tie the server's order wins (RFC 8760 §2.4: it lists its preference first).
 * Non-Digest challenges are skipped; so are malformed Digest ones when a good one remains.
 */
export function pickChallenge(values: readonly string[]): DigestChallenge {
  const digest: DigestChallenge[] = [];
  const otherSchemes: string[] = [];
  let firstError: unknown;
  for (const value of values) {
    let raw: RawChallenge[];
    try {
      raw = splitChallenges(value);
    } catch (err) {
      firstError ??= err;
      continue;
    }
    for (const challenge of raw) {
      if (challenge.scheme.toLowerCase() !== 'digest') {
        otherSchemes.push(challenge.scheme);
        continue;
      }
      try {
        digest.push(toDigestChallenge(challenge, value));
      } catch (err) {
        firstError ??= err;
      }
    }
  }

  let best: DigestChallenge | undefined;
  let bestStrength = 0;
  for (const challenge of digest) {
    const strength = resolveDigestAlgorithm(challenge.algorithm)?.strength ?? 0;
    if (strength > bestStrength) {
      best = challenge;
      bestStrength = strength;
    }
  }
  if (best) return best;
  if (digest.length > 0) {
    throw new UnsupportedDigestAlgorithmError([...new Set(digest.map((c) => c.algorithm))].join(', '));
  }
  if (firstError !== undefined) throw firstError;
  throw new DigestChallengeError(
    'scheme',
    otherSchemes.length > 0
      ? `no Digest challenge among the offered schemes: ${otherSchemes.join(', ')}`
      : 'no authentication challenge given',
  );
}

function toDigestChallenge(raw: RawChallenge, headerValue: string): DigestChallenge {
  if (raw.scheme.toLowerCase() !== 'digest') {
    throw new DigestChallengeError('scheme', `expected a Digest challenge, got scheme "${raw.scheme}"`);
  }
  const params = new Map<string, string>();
  for (const [name, value] of raw.params) {
    // RFC 7235 §2.2: a parameter occurs at most once; two realms or nonces leave no safe answer.
    if (params.has(name)) {
      throw new DigestChallengeError(
        name,
        `Digest challenge repeats parameter "${name}": ${excerpt(headerValue)}`,
      );
    }
    params.set(name, value);
  }

  const realm = params.get('realm');
  if (realm === undefined) {
    throw new DigestChallengeError('realm', `Digest challenge has no realm: ${excerpt(headerValue)}`);
  }
  const nonce = params.get('nonce');
  if (nonce === undefined || nonce === '') {
    throw new DigestChallengeError(
      'nonce',
      `Digest challenge has ${nonce === undefined ? 'no' : 'an empty'} nonce: ${excerpt(headerValue)}`,
    );
  }
  const algorithm = params.get('algorithm');
  if (algorithm === '') {
    throw new DigestChallengeError(
      'algorithm',
      `Digest challenge has an empty algorithm: ${excerpt(headerValue)}`,
    );
  }

  const qop = (params.get('qop') ?? '')
    .split(',')
    .map((token) => token.trim().toLowerCase())
    .filter((token) => token !== '');

  const challenge: {
    -readonly [K in keyof DigestChallenge]: DigestChallenge[K];
  } = {
    scheme: 'Digest',
    realm,
    nonce,
    algorithm: algorithm ?? 'MD5',
    qop: Object.freeze(qop),
    stale: isTrue(params.get('stale')),
    userhash: isTrue(params.get('userhash')),
  };
  if (algorithm === undefined) challenge.implicitAlgorithm = true;
  const opaque = params.get('opaque');
  if (opaque !== undefined) challenge.opaque = opaque;
  const domain = params.get('domain');
  if (domain !== undefined) challenge.domain = domain;
  const charset = params.get('charset');
  if (charset !== undefined) challenge.charset = charset;
  return Object.freeze(challenge);
}

function isTrue(value: string | undefined): boolean {
  return value !== undefined && value.trim().toLowerCase() === 'true';
}

const WHITESPACE = new Set([' ', '\t', '\r', '\n']);

/**
 * Splits a challenge list (RFC 7235 §4.1: `#challenge`, each `scheme [auth-params]`) into schemes and
 * their parameters. A bare token not followed by `=` starts the next challenge.
 */
function splitChallenges(value: string): RawChallenge[] {
  const out: RawChallenge[] = [];
  const n = value.length;
  let i = 0;

  const isSpace = (c: string | undefined): boolean => c !== undefined && WHITESPACE.has(c);
  const skipSpace = (): void => {
    while (i < n && isSpace(value[i])) i++;
  };
  const skipSpaceAndCommas = (): void => {
    while (i < n && (isSpace(value[i]) || value[i] === ',')) i++;
  };
  const readToken = (): string => {
    const start = i;
    while (i < n) {
      const c = value[i];
      if (isSpace(c) || c === ',' || c === '=' || c === '"') break;
      i++;
    }
    return value.slice(start, i);
  };
  const syntax = (what: string): DigestChallengeError =>
    new DigestChallengeError('syntax', `${what} at offset ${i} of challenge: ${excerpt(value)}`);

  outer: for (;;) {
    skipSpaceAndCommas();
    if (i >= n) break;
    const scheme = readToken();
    if (scheme === '') throw syntax(`unexpected "${value[i]}"`);
    const params: RawChallenge['params'] = [];
    out.push({ scheme, params });

    for (;;) {
      const mark = i;
      skipSpaceAndCommas();
      if (i >= n) break outer;
      const name = readToken();
      if (name === '') throw syntax(`unexpected "${value[i]}"`);
      skipSpace();
      if (value[i] !== '=') {
        i = mark;
        continue outer;
      }
      i++;
      skipSpace();
      let paramValue = '';
      if (value[i] === '"') {
        i++;
        for (;;) {
          if (i >= n) throw syntax(`unterminated quoted value of "${name}"`);
          if (value[i] === '"') {
            i++;
            break;
          }
          if (value[i] === '\\') {
            i++;
            if (i >= n) throw syntax(`unterminated quoted value of "${name}"`);
          }
          const c = value[i] as string;
          // The message parser unfolds header lines, so a line break left here would be smuggled.
          if (c === '\r' || c === '\n') throw syntax(`line break inside the quoted value of "${name}"`);
          paramValue += c;
          i++;
        }
      } else {
        const start = i;
        while (i < n && !isSpace(value[i]) && value[i] !== ',') i++;
        paramValue = value.slice(start, i);
      }
      params.push([name.toLowerCase(), paramValue]);
    }
  }
  return out;
}

/** Challenges carry no secret, but a hostile one could be huge: quote a bounded slice in errors. */
function excerpt(value: string): string {
  const limit = 200;
  return JSON.stringify(value.length > limit ? `${value.slice(0, limit)}…` : value);
}
