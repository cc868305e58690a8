/** Digest algorithms we can compute, with the node:crypto hash behind each (RFC 7616 §3.2, RFC 8760). */
export interface DigestAlgorithm {
  /** Canonical name, as registered with IANA. */
  readonly name: 'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess' | 'SHA-512-256' | 'SHA-512-256-sess';
  /** OpenSSL's name for the hash. SHA-512/256 is its own function (different IVs), not a truncated SHA-512. */
  readonly hash: 'md5' | 'sha256' | 'sha512-256';
  /** `-sess`: HA1 also covers the nonce and cnonce. */
  readonly session: boolean;
  /** Higher is stronger; -sess does not change the strength, only the HA1 input. */
  readonly strength: number;
}

const ALGORITHMS: readonly DigestAlgorithm[] = [
  { name: 'MD5', hash: 'md5', session: false, strength: 1 },
  { name: 'MD5-sess', hash: 'md5', session: true, strength: 1 },
  { name: 'SHA-256', hash: 'sha256', session: false, strength: 2 },
  { name: 'SHA-256-sess', hash: 'sha256', session: true, strength: 2 },
  { name: 'SHA-512-256', hash: 'sha512-256', session: false, strength: 3 },
  { name: 'SHA-512-256-sess', hash: 'sha512-256', session: true, strength: 3 },
];

const BY_LOWER_NAME = new Map(ALGORITHMS.map((a) => [a.name.toLowerCase(), a]));

/** The algorithm a challenge names (case-insensitive, as servers vary), or undefined if we cannot compute it. */
export function resolveDigestAlgorithm(algorithm: string): DigestAlgorithm | undefined {
  return BY_LOWER_NAME.get(algorithm.trim().toLowerCase());
}
