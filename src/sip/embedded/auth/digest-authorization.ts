import { createHash, randomBytes } from 'node:crypto';

import { resolveDigestAlgorithm } from './digest-algorithm.js';
import type { DigestChallenge } from './digest-challenge.js';
import { DigestChallengeError } from './digest-challenge-error.js';
import { DigestInputError } from './digest-input-error.js';
import { UnsupportedDigestAlgorithmError } from './unsupported-digest-algorithm-error.js';

export interface DigestAuthorizationInput {
  readonly challenge: DigestChallenge;
  /** The request's method, e.g. `INVITE`. An ACK or CANCEL reuses the INVITE's credentials (RFC 3261 §22.1). */
  readonly method: string;
  /** The Request-URI exactly as sent on the request line (RFC 3261 §22.4: `uri` = Request-URI). */
  readonly uri: string;
  readonly username: string;
  readonly password: string;
  /** Nonce count, 1-based: how many requests this nonce has now signed. */
  readonly nc: number;
  readonly cnonce: string;
  /** The message body, hashed for qop `auth-int`. Absent means empty. */
  readonly body?: Buffer;
}

const MAX_NC = 0xffffffff;
const EMPTY = Buffer.alloc(0);

/**
 * The Authorization / Proxy-Authorization value answering `challenge` (RFC 7616 §3.4, RFC 3261 §22.4).
 * Prefers qop `auth`, uses `auth-int` when that is all the server offers, and falls back to the
 * RFC 2069 form (no nc, cnonce or qop) when the challenge has no qop.
 */
export function buildDigestAuthorization(input: DigestAuthorizationInput): string {
  const { challenge, method, uri, username, password, cnonce } = input;
  const algorithm = resolveDigestAlgorithm(challenge.algorithm);
  if (!algorithm) throw new UnsupportedDigestAlgorithmError(challenge.algorithm);
  const qop = chooseQop(challenge);
  if (algorithm.session && qop === undefined) {
    // RFC 2617 §3.2.2: cnonce MUST NOT be sent without qop, yet a -sess HA1 cannot be checked without it.
    throw new DigestChallengeError(
      'qop',
      `algorithm ${challenge.algorithm} needs a qop, and the challenge offers none`,
    );
  }

  for (const [field, value] of [
    ['method', method],
    ['uri', uri],
    ['username', username],
    ['cnonce', cnonce],
    ['realm', challenge.realm],
    ['nonce', challenge.nonce],
    ['opaque', challenge.opaque ?? ''],
  ] as const) {
    if (/[\r\n\0]/.test(value)) {
      throw new DigestInputError(field, `digest ${field} contains CR, LF or NUL: ${JSON.stringify(value)}`);
    }
  }
  if (method === '') throw new DigestInputError('method', 'digest method is empty');
  if (qop !== undefined) {
    if (!Number.isInteger(input.nc) || input.nc < 1 || input.nc > MAX_NC) {
      throw new DigestInputError('nc', `digest nc must be an integer from 1 to ${MAX_NC}, got ${input.nc}`);
    }
    if (cnonce === '') throw new DigestInputError('cnonce', 'digest cnonce is empty');
  }

  const h = (data: string | Buffer): string => createHash(algorithm.hash).update(data).digest('hex');
  const { realm, nonce } = challenge;
  const nc = input.nc.toString(16).padStart(8, '0');

  let ha1 = h(`${username}:${realm}:${password}`);
  if (algorithm.session) ha1 = h(`${ha1}:${nonce}:${cnonce}`);
  const ha2 = qop === 'auth-int' ? h(`${method}:${uri}:${h(input.body ?? EMPTY)}`) : h(`${method}:${uri}`);
  const response =
    qop === undefined ? h(`${ha1}:${nonce}:${ha2}`) : h(`${ha1}:${nonce}:${nc}:${cnonce}:${qop}:${ha2}`);

  // RFC 7616 §3.4.4: the username is hashed after, and apart from, every other computation.
  const sentUsername = challenge.userhash ? h(`${username}:${realm}`) : username;

  const params = [
    `username=${quote(sentUsername)}`,
    `realm=${quote(realm)}`,
    `nonce=${quote(nonce)}`,
    `uri=${quote(uri)}`,
    `response=${quote(response)}`,
  ];
  // RFC 7616 §3.4: algorithm, qop and nc are never quoted (some servers compare them verbatim).
  if (challenge.implicitAlgorithm !== true) params.push(`algorithm=${challenge.algorithm.trim()}`);
  if (qop !== undefined) params.push(`cnonce=${quote(cnonce)}`, `qop=${qop}`, `nc=${nc}`);
  if (challenge.opaque !== undefined) params.push(`opaque=${quote(challenge.opaque)}`);
  if (challenge.userhash) params.push('userhash=true');
  return `Digest ${params.join(', ')}`;
}

/** A fresh client nonce: 128 random bits as 32 hex digits. */
export function createCnonce(): string {
  return randomBytes(16).toString('hex');
}

function chooseQop(challenge: DigestChallenge): 'auth' | 'auth-int' | undefined {
  if (challenge.qop.length === 0) return undefined;
  const offered = challenge.qop.map((token) => token.toLowerCase());
  if (offered.includes('auth')) return 'auth';
  if (offered.includes('auth-int')) return 'auth-int';
  throw new DigestChallengeError(
    'qop',
    `challenge offers qop ${JSON.stringify(challenge.qop.join(','))}; supported: auth, auth-int`,
  );
}

function quote(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}
