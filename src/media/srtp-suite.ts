/** The SDES crypto suites we speak (RFC 4568 §6.2): AES-128 counter mode with HMAC-SHA1. */
export const SRTP_SUITES = ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'] as const;
export type SrtpSuite = (typeof SRTP_SUITES)[number];

/** Master key and salt lengths of both suites (RFC 4568 §6.2.1), bytes. */
export const SRTP_MASTER_KEY_LENGTH = 16;
export const SRTP_MASTER_SALT_LENGTH = 14;

/**
 * The SRTP authentication tag length of a suite, bytes. SRTCP always uses 80 bits: RFC 4568
 * §6.2.2 shortens only the RTP tag for `_32` (a 4-byte tag on RTCP would be too weak).
 */
export function srtpTagLength(suite: SrtpSuite): number {
  return suite === 'AES_CM_128_HMAC_SHA1_32' ? 4 : 10;
}

export const SRTCP_TAG_LENGTH = 10;

export function isSrtpSuite(name: string): name is SrtpSuite {
  return (SRTP_SUITES as readonly string[]).includes(name);
}
