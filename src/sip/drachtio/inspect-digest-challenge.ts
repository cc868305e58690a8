/** What drachtio-srf's digest client can do with a 401/407 challenge header. */
export interface DigestChallengeInspection {
  /** True when some Digest challenge is MD5 (named or implied): drachtio-srf computes only MD5. */
  readonly md5Offered: boolean;
  /** Algorithms offered, as the server wrote them (`MD5` for a challenge that names none). */
  readonly algorithms: readonly string[];
  /** For operators: `401 realm="x" algorithm=MD5 qop=auth` (the first challenge). */
  readonly summary: string;
}

const PARAM = /([A-Za-z][A-Za-z0-9_-]*)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s,]*)/g;

/**
 * Reads the Digest challenges of a WWW-Authenticate / Proxy-Authenticate value (drachtio-srf joins
 * repeated headers with `,`). Only what decides whether drachtio-srf can answer is read.
 */
export function inspectDigestChallenge(status: number, headerValue: string): DigestChallengeInspection {
  const challenges = headerValue
    .split(/(?:^|,)\s*(?=[A-Za-z][A-Za-z0-9_-]*\s+[A-Za-z][A-Za-z0-9_-]*\s*=)/)
    .map((part) => part.trim())
    .filter((part) => /^digest\s/i.test(part));
  const parsed = challenges.map((challenge) => {
    const params = new Map<string, string>();
    for (const match of challenge.slice(6).matchAll(PARAM)) {
      const name = match[1]?.toLowerCase();
      const raw = match[2] ?? '';
      if (name !== undefined && !params.has(name)) params.set(name, unquote(raw));
    }
    return params;
  });
  const algorithms = parsed.map((params) => params.get('algorithm') ?? 'MD5');
  const first = parsed[0];
  const qop = first?.get('qop');
  const summary = first
    ? `${status} realm="${first.get('realm') ?? ''}" algorithm=${algorithms[0] ?? 'MD5'}${qop ? ` qop=${qop}` : ''}${
        first.get('stale')?.toLowerCase() === 'true' ? ' stale=true' : ''
      }`
    : `${status} (no Digest challenge)`;
  return {
    md5Offered: algorithms.some((algorithm) => algorithm.toUpperCase() === 'MD5'),
    algorithms,
    summary,
  };
}

function unquote(value: string): string {
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    return value.slice(1, -1).replace(/\\(.)/g, '$1');
  }
  return value;
}
