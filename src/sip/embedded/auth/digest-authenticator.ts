import type { DigestKind } from './nonce-cache.js';

/** The request header that answers a challenge of this kind (RFC 3261 §22.2, §22.3). */
export function authorizationHeaderName(kind: DigestKind): 'Authorization' | 'Proxy-Authorization' {
  return kind === 'proxy' ? 'Proxy-Authorization' : 'Authorization';
}

/** The response header carrying the challenge of a 401 or 407. */
export function challengeHeaderName(status: 401 | 407): 'WWW-Authenticate' | 'Proxy-Authenticate' {
  return status === 407 ? 'Proxy-Authenticate' : 'WWW-Authenticate';
}

/** Which kind of challenge a 401 or 407 carries. */
export function challengeKind(status: 401 | 407): DigestKind {
  return status === 407 ? 'proxy' : 'www';
}
