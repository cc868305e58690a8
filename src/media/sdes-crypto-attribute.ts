import { SdpError } from './sdp-error.js';
import type { SrtpKeyMaterial } from './srtp-context.js';
import { isSrtpSuite, SRTP_MASTER_KEY_LENGTH, SRTP_MASTER_SALT_LENGTH } from './srtp-suite.js';

/** One `a=crypto` line (RFC 4568 §9.1): a tag and one direction's key. */
export interface SdesCrypto {
  /** 1-999999999; the answer repeats the tag of the offer's line it accepts. */
  readonly tag: number;
  readonly key: SrtpKeyMaterial;
  /** From `|lifetime`: packets the key may protect. Absent: the suite's maximum (2^48). */
  readonly lifetime?: number;
}

const KEY_LENGTH = SRTP_MASTER_KEY_LENGTH + SRTP_MASTER_SALT_LENGTH;
const TAG = /^[1-9]\d{0,8}$/;
const BASE64 = /^[A-Za-z0-9+/]{40}$/;
/** RFC 4568 §6.1 allows MKIs up to 128 bytes; carriers use 1-4, and more would not fit a number. */
const MAX_MKI_LENGTH = 4;

/**
 * Reads the value of an `a=crypto:` attribute, `<tag> <suite> inline:<key||salt>[|lifetime][|MKI:length]`.
 * Throws `SdpError` for a line we cannot use (unknown suite, several keys, session parameters,
 * a malformed key); the message names the tag and what is wrong, never the key.
 */
export function parseSdesCrypto(value: string): SdesCrypto {
  const [tagText = '', suite = '', keyParams = '', ...sessionParams] = value.trim().split(/\s+/);
  if (!TAG.test(tagText))
    throw new SdpError(`a=crypto tag must be 1-999999999, got ${JSON.stringify(tagText)}`);
  const tag = Number(tagText);
  if (!isSrtpSuite(suite))
    throw new SdpError(`a=crypto:${tag} suite ${JSON.stringify(suite)} is not one we speak`);
  // KDR, UNENCRYPTED_SRTP, FEC_ORDER and the like change how the key is used: refuse the line
  // rather than use it differently from what the far end meant (RFC 4568 §6.3).
  if (sessionParams.length > 0)
    throw new SdpError(`a=crypto:${tag} has session parameters we do not support`);
  if (!keyParams.startsWith('inline:')) throw new SdpError(`a=crypto:${tag} key is not inline:`);
  if (keyParams.includes(';')) throw new SdpError(`a=crypto:${tag} carries several keys; we take one`);
  const [keySalt = '', ...rest] = keyParams.slice('inline:'.length).split('|');
  if (!BASE64.test(keySalt.replace(/=+$/, '')) || Buffer.from(keySalt, 'base64').length !== KEY_LENGTH)
    throw new SdpError(`a=crypto:${tag} key is not ${KEY_LENGTH} bytes of base64`);
  const bytes = Buffer.from(keySalt, 'base64');
  let lifetime: number | undefined;
  let mki: SrtpKeyMaterial['mki'];
  for (const part of rest) {
    if (part.includes(':')) {
      const match = /^(\d{1,10}):(\d{1,3})$/.exec(part);
      const length = Number(match?.[2]);
      const mkiValue = Number(match?.[1]);
      if (
        match === null ||
        mki !== undefined ||
        length < 1 ||
        length > MAX_MKI_LENGTH ||
        mkiValue >= 2 ** (8 * length)
      )
        throw new SdpError(
          `a=crypto:${tag} MKI ${JSON.stringify(part)} is not value:length with length 1-${MAX_MKI_LENGTH}`,
        );
      mki = { value: mkiValue, length };
    } else {
      const match = /^(?:2\^(\d{1,2})|(\d{1,15}))$/.exec(part);
      if (match === null || lifetime !== undefined)
        throw new SdpError(`a=crypto:${tag} lifetime ${JSON.stringify(part)} is not 2^n or a number`);
      lifetime = match[1] !== undefined ? 2 ** Number(match[1]) : Number(match[2]);
    }
  }
  return {
    tag,
    key: {
      suite,
      masterKey: bytes.subarray(0, SRTP_MASTER_KEY_LENGTH),
      masterSalt: bytes.subarray(SRTP_MASTER_KEY_LENGTH),
      ...(mki !== undefined ? { mki } : {}),
    },
    ...(lifetime !== undefined ? { lifetime } : {}),
  };
}

/** The value of an `a=crypto:` attribute for `crypto` (no lifetime: the suite's maximum). */
export function formatSdesCrypto(crypto: SdesCrypto): string {
  const inline = Buffer.concat([crypto.key.masterKey, crypto.key.masterSalt]).toString('base64');
  const mki = crypto.key.mki !== undefined ? `|${crypto.key.mki.value}:${crypto.key.mki.length}` : '';
  const lifetime = crypto.lifetime !== undefined ? `|${crypto.lifetime}` : '';
  return `${crypto.tag} ${crypto.key.suite} inline:${inline}${lifetime}${mki}`;
}
