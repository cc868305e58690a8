import { randomBytes } from 'node:crypto';
import { formatSdesCrypto, parseSdesCrypto, type SdesCrypto } from './sdes-crypto-attribute.js';
import type { SrtpKeyMaterial } from './srtp-context.js';
import { SrtpNegotiationError } from './srtp-negotiation-error.js';
import { SdpError } from './sdp-error.js';
import {
  SRTP_MASTER_KEY_LENGTH,
  SRTP_MASTER_SALT_LENGTH,
  SRTP_SUITES,
  type SrtpSuite,
} from './srtp-suite.js';

/** The keys of an SRTP call: ours protects what we send, the far end's what we receive. */
export interface SrtpKeys {
  readonly outbound: SrtpKeyMaterial;
  readonly inbound: SrtpKeyMaterial;
}

/** A fresh master key and salt from the CSPRNG: one per call and suite, never reused. */
export function freshSrtpKey(suite: SrtpSuite): SrtpKeyMaterial {
  const bytes = randomBytes(SRTP_MASTER_KEY_LENGTH + SRTP_MASTER_SALT_LENGTH);
  return {
    suite,
    masterKey: bytes.subarray(0, SRTP_MASTER_KEY_LENGTH),
    masterSalt: bytes.subarray(SRTP_MASTER_KEY_LENGTH),
  };
}

/** Our offer's crypto lines: both suites, strongest tag first, each with its own fresh key. */
export function offerSrtp(): readonly SdesCrypto[] {
  return SRTP_SUITES.map((suite, i) => ({ tag: i + 1, key: freshSrtpKey(suite) }));
}

/** The `a=crypto:` values of `lines`, for `buildSdpOffer`. */
export function cryptoValues(lines: readonly SdesCrypto[]): string[] {
  return lines.map(formatSdesCrypto);
}

/**
 * The keys an answer's crypto line settles (RFC 4568 §7.1.3): its tag names which of our lines
 * (and so our outbound key) it took, its key is the far end's. Throws `SrtpNegotiationError`
 * when no line is usable; the message names tags and suites, never keys.
 */
export function acceptSrtpAnswer(offered: readonly SdesCrypto[], answered: readonly string[]): SrtpKeys {
  if (answered.length === 0) throw new SrtpNegotiationError('the answer has no a=crypto line');
  const problems: string[] = [];
  for (const value of answered) {
    let theirs: SdesCrypto;
    try {
      theirs = parseSdesCrypto(value);
    } catch (error) {
      if (!(error instanceof SdpError)) throw error;
      problems.push(error.message);
      continue;
    }
    const ours = offered.find((o) => o.tag === theirs.tag);
    if (ours === undefined) {
      problems.push(`a=crypto:${theirs.tag} answers a tag we did not offer`);
    } else if (ours.key.suite !== theirs.key.suite) {
      problems.push(`a=crypto:${theirs.tag} changes our suite ${ours.key.suite} to ${theirs.key.suite}`);
    } else {
      return { outbound: ours.key, inbound: theirs.key };
    }
  }
  throw new SrtpNegotiationError(`no acceptable a=crypto line in the answer: ${problems.join('; ')}`);
}

/**
 * Our answer to an offer's crypto lines (RFC 4568 §7.1.2): the first line we can use, answered
 * with the same tag and suite and our key (`current` when it is of that suite, so a refresh keeps
 * the stream's key; else a fresh one). Undefined when no line is usable.
 */
export function answerSrtpOffer(
  offered: readonly string[],
  current?: SrtpKeyMaterial,
): { readonly line: string; readonly keys: SrtpKeys } | undefined {
  for (const value of offered) {
    let theirs: SdesCrypto;
    try {
      theirs = parseSdesCrypto(value);
    } catch (error) {
      if (!(error instanceof SdpError)) throw error;
      continue;
    }
    const outbound =
      current !== undefined && current.suite === theirs.key.suite && current.mki === undefined
        ? current
        : freshSrtpKey(theirs.key.suite);
    return {
      line: formatSdesCrypto({ tag: theirs.tag, key: outbound }),
      keys: { outbound, inbound: theirs.key },
    };
  }
  return undefined;
}
