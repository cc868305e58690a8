import { createCipheriv } from 'node:crypto';
import { SRTP_MASTER_KEY_LENGTH, SRTP_MASTER_SALT_LENGTH } from './srtp-suite.js';

/** The session keys one direction uses for one of RTP or RTCP (RFC 3711 §4.3). */
export interface SrtpSessionKeys {
  /** AES-128 key, 16 bytes. */
  readonly encryptionKey: Buffer;
  /** HMAC-SHA1 key, 20 bytes. */
  readonly authenticationKey: Buffer;
  /** 14 bytes. */
  readonly salt: Buffer;
}

/** RFC 3711 §4.3.1 / §4.3.2 key derivation labels. */
const LABEL = {
  rtpEncryption: 0x00,
  rtpAuthentication: 0x01,
  rtpSalt: 0x02,
  rtcpEncryption: 0x03,
  rtcpAuthentication: 0x04,
  rtcpSalt: 0x05,
} as const;

/**
 * AES-128 in counter mode (RFC 3711 §4.1.1) from a 16-byte IV: `length` bytes of keystream.
 * node's aes-128-ctr increments the whole 128-bit block big-endian, which is SRTP's counter as
 * long as the low 16 bits do not wrap: 2^16 blocks, 1 MiB, far above any packet.
 */
export function aesCmKeystream(key: Buffer, iv: Buffer, length: number): Buffer {
  const cipher = createCipheriv('aes-128-ctr', key, iv);
  return Buffer.concat([cipher.update(Buffer.alloc(length)), cipher.final()]);
}

/**
 * The PRF of RFC 3711 §4.3.3 for one label, key derivation rate 0 (SDES's default, and the only
 * one we accept): AES-CM keyed with the master key, IV = (label << 48 XOR master salt) << 16.
 */
export function srtpPrf(masterKey: Buffer, masterSalt: Buffer, label: number, length: number): Buffer {
  const iv = Buffer.alloc(16);
  masterSalt.copy(iv, 0, 0, SRTP_MASTER_SALT_LENGTH);
  // key_id = label || r (r = 0, 48 bits), right-aligned against the 112-bit salt: byte 7.
  iv[7] = (iv[7] ?? 0) ^ label;
  return aesCmKeystream(masterKey, iv, length);
}

/** Session keys for RTP and RTCP of one direction, from its SDES master key and salt. */
export function deriveSrtpKeys(
  masterKey: Buffer,
  masterSalt: Buffer,
): { readonly rtp: SrtpSessionKeys; readonly rtcp: SrtpSessionKeys } {
  if (masterKey.length !== SRTP_MASTER_KEY_LENGTH || masterSalt.length !== SRTP_MASTER_SALT_LENGTH) {
    // Lengths only: the key itself never goes into a message.
    throw new RangeError(
      `SRTP master key and salt must be ${SRTP_MASTER_KEY_LENGTH} and ${SRTP_MASTER_SALT_LENGTH} bytes, got ${masterKey.length} and ${masterSalt.length}`,
    );
  }
  const keys = (enc: number, auth: number, salt: number): SrtpSessionKeys => ({
    encryptionKey: srtpPrf(masterKey, masterSalt, enc, 16),
    authenticationKey: srtpPrf(masterKey, masterSalt, auth, 20),
    salt: srtpPrf(masterKey, masterSalt, salt, 14),
  });
  return {
    rtp: keys(LABEL.rtpEncryption, LABEL.rtpAuthentication, LABEL.rtpSalt),
    rtcp: keys(LABEL.rtcpEncryption, LABEL.rtcpAuthentication, LABEL.rtcpSalt),
  };
}
