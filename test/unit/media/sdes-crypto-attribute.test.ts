import { describe, expect, it } from 'vitest';
import { formatSdesCrypto, parseSdesCrypto } from '../../../src/media/sdes-crypto-attribute.js';

// RFC 4568 §9.1's example line's key.
const INLINE = 'PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR';

describe('a=crypto (RFC 4568)', () => {
  it('reads tag, suite, key and salt, lifetime and MKI', () => {
    const crypto = parseSdesCrypto(`1 AES_CM_128_HMAC_SHA1_32 inline:${INLINE}|2^20|1:4`);
    expect(crypto.tag).toBe(1);
    expect(crypto.key.suite).toBe('AES_CM_128_HMAC_SHA1_32');
    expect(Buffer.concat([crypto.key.masterKey, crypto.key.masterSalt]).toString('base64')).toBe(INLINE);
    expect(crypto.key.masterKey.length).toBe(16);
    expect(crypto.lifetime).toBe(2 ** 20);
    expect(crypto.key.mki).toEqual({ value: 1, length: 4 });
    expect(formatSdesCrypto(crypto)).toBe(`1 AES_CM_128_HMAC_SHA1_32 inline:${INLINE}|1048576|1:4`);
    expect(formatSdesCrypto(parseSdesCrypto(`7 AES_CM_128_HMAC_SHA1_80 inline:${INLINE}`))).toBe(
      `7 AES_CM_128_HMAC_SHA1_80 inline:${INLINE}`,
    );
  });

  it.each([
    ['0 AES_CM_128_HMAC_SHA1_80 inline:' + INLINE, /tag/],
    ['1 F8_128_HMAC_SHA1_80 inline:' + INLINE, /suite "F8_128_HMAC_SHA1_80"/],
    ['1 AES_CM_128_HMAC_SHA1_80 inline:' + INLINE + ' KDR=1', /session parameters/],
    ['1 AES_CM_128_HMAC_SHA1_80 inline:' + INLINE.slice(4), /30 bytes of base64/],
    ['1 AES_CM_128_HMAC_SHA1_80 inline:' + INLINE + '|1:9', /MKI/],
    ['1 AES_CM_128_HMAC_SHA1_80 inline:' + INLINE + ';inline:' + INLINE, /several keys/],
  ])('refuses %s, never naming the key', (line, problem) => {
    expect(() => parseSdesCrypto(line)).toThrow(problem);
    try {
      parseSdesCrypto(line);
    } catch (error) {
      expect((error as Error).message).not.toContain(INLINE.slice(4, 20));
    }
  });
});
