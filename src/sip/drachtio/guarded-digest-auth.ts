import { inspectDigestChallenge, type DigestChallengeInspection } from './inspect-digest-challenge.js';
import type { SrfAuthFunction } from './srf-api.js';

/**
 * `auth` for drachtio-srf that looks at the challenge first. drachtio-srf answers every challenge
 * with MD5 whatever it asked for (lib/digest-client.js), so a carrier wanting only SHA-256 would get
 * a wrong answer and a second 401 that says nothing about why. Declining here lets the 401 through
 * to the caller, and `seen` tells it which algorithm was refused.
 */
export function guardedDigestAuth(
  credentials: { readonly username: string; readonly password: string },
  seen: (inspection: DigestChallengeInspection) => void,
): SrfAuthFunction {
  return (_req, res, callback) => {
    const header = res.get(res.status === 407 ? 'Proxy-Authenticate' : 'WWW-Authenticate') ?? '';
    const inspection = inspectDigestChallenge(res.status, header);
    seen(inspection);
    if (!inspection.md5Offered) {
      callback(new Error(`digest algorithm ${inspection.algorithms.join(', ')} is not supported`));
      return;
    }
    callback(null, credentials.username, credentials.password);
  };
}
