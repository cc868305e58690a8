import { describe, expect, it } from 'vitest';
import {
  acceptSrtpAnswer,
  answerSdpOffer,
  buildSdpOffer,
  cryptoValues,
  offerSrtp,
  parseSdesCrypto,
  parseSdpAnswer,
  SdpError,
  SrtpNegotiationError,
} from '../../../src/media/index.js';

const sdp = (...lines: string[]): string => lines.map((l) => `${l}\r\n`).join('');
const KEY = 'PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR';
const farEnd = (protocol: string, ...crypto: string[]): string =>
  sdp(
    'v=0',
    'o=- 7 1 IN IP4 127.0.0.1',
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=audio 5000 ${protocol} 0 101`,
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:101 telephone-event/8000',
    ...crypto.map((c) => `a=crypto:${c}`),
  );

describe('SDP with SDES SRTP', () => {
  it('offers RTP/SAVP with a crypto line per suite, each with a fresh key', () => {
    const offered = offerSrtp();
    const text = buildSdpOffer({
      address: '127.0.0.1',
      rtpPort: 4000,
      protocol: 'RTP/SAVP',
      crypto: cryptoValues(offered),
    });
    expect(text).toMatch(/^m=audio 4000 RTP\/SAVP 0 8 101\r$/m);
    const lines = text.match(/^a=crypto:.*$/gm) ?? [];
    expect(lines.map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual([
      'a=crypto:1 AES_CM_128_HMAC_SHA1_80',
      'a=crypto:2 AES_CM_128_HMAC_SHA1_32',
    ]);
    expect(new Set([...lines, ...cryptoValues(offerSrtp())].map((l) => l.split('inline:')[1])).size).toBe(4);
    // Plain offers are unchanged.
    expect(buildSdpOffer({ address: '127.0.0.1', rtpPort: 4000 })).not.toMatch(/crypto|SAVP/);
  });

  it('reads an RTP/SAVP answer and its crypto only when SAVP was offered; the tag picks our key', () => {
    const answer = farEnd('RTP/SAVP', `2 AES_CM_128_HMAC_SHA1_32 inline:${KEY}`);
    expect(() => parseSdpAnswer(answer)).toThrow(/RTP\/SAVP, we offered RTP\/AVP/);
    const parsed = parseSdpAnswer(answer, { protocols: ['RTP/AVP', 'RTP/SAVP'] });
    expect(parsed.savp).toBe(true);
    const offered = offerSrtp();
    const keys = acceptSrtpAnswer(offered, parsed.crypto ?? []);
    expect(keys.outbound).toBe(offered[1]?.key);
    expect(keys.inbound.suite).toBe('AES_CM_128_HMAC_SHA1_32');
    expect(Buffer.concat([keys.inbound.masterKey, keys.inbound.masterSalt]).toString('base64')).toBe(KEY);
  });

  it('refuses an answer without crypto, with a tag we did not offer or a changed suite, naming no key', () => {
    const offered = offerSrtp();
    expect(() => acceptSrtpAnswer(offered, [])).toThrow(SrtpNegotiationError);
    for (const line of [
      `3 AES_CM_128_HMAC_SHA1_80 inline:${KEY}`,
      `1 AES_CM_128_HMAC_SHA1_32 inline:${KEY}`,
    ]) {
      try {
        acceptSrtpAnswer(offered, [line]);
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(SrtpNegotiationError);
        expect((error as SrtpNegotiationError).code).toBe('SRTP_NEGOTIATION_FAILED');
        expect((error as Error).message).not.toContain(KEY.slice(0, 10));
      }
    }
  });

  it('answers an in-dialog offer with crypto with our line of its tag, keeping our running key', () => {
    const ours = buildSdpOffer({ address: '127.0.0.1', rtpPort: 4000, sessionId: 9 });
    const offer = farEnd(
      'RTP/SAVP',
      `1 F8_128_HMAC_SHA1_80 inline:${KEY}`,
      `5 AES_CM_128_HMAC_SHA1_80 inline:${KEY}`,
    );
    const first = answerSdpOffer(offer, ours, undefined, { mode: 'required' });
    expect(first.sdp).toMatch(/^m=audio 4000 RTP\/SAVP 0 101\r$/m);
    const line = /^a=crypto:(.*)\r$/m.exec(first.sdp)?.[1] ?? '';
    expect(line).toMatch(/^5 AES_CM_128_HMAC_SHA1_80 inline:/);
    expect(line).not.toContain(KEY);
    expect(
      parseSdesCrypto(line).key.masterKey.equals(first.srtp?.outbound.masterKey ?? Buffer.alloc(0)),
    ).toBe(true);
    const again = answerSdpOffer(offer, first.sdp, undefined, { mode: 'required', current: first.srtp! });
    expect(again.srtp?.outbound).toBe(first.srtp?.outbound);
    // A codec switch in the same offer keeps SRTP and our key: the answer names PCMA, still SAVP.
    const pcma = answerSdpOffer(
      offer.replace('RTP/SAVP 0 101', 'RTP/SAVP 8 101').replace('a=rtpmap:0 PCMU', 'a=rtpmap:8 PCMA'),
      first.sdp,
      undefined,
      { mode: 'required', current: first.srtp! },
      'PCMU',
    );
    expect(pcma.remote.codec.name).toBe('PCMA');
    expect(pcma.sdp).toMatch(/^m=audio 4000 RTP\/SAVP 8 101\r$/m);
    expect(pcma.srtp?.outbound).toBe(first.srtp?.outbound);
  });

  it('refuses (488) an in-dialog offer without usable crypto when SRTP is required, running, or the offer is SAVP', () => {
    const ours = buildSdpOffer({ address: '127.0.0.1', rtpPort: 4000 });
    const plain = farEnd('RTP/AVP');
    expect(() => answerSdpOffer(plain, ours, undefined, { mode: 'required' })).toThrow(SdpError);
    const running = answerSdpOffer(
      farEnd('RTP/AVP', `1 AES_CM_128_HMAC_SHA1_80 inline:${KEY}`),
      ours,
      undefined,
      {
        mode: 'optional',
      },
    );
    expect(() =>
      answerSdpOffer(plain, ours, undefined, { mode: 'optional', current: running.srtp! }),
    ).toThrow(/no a=crypto line we accept/);
    expect(() => answerSdpOffer(farEnd('RTP/SAVP'), ours, undefined, { mode: 'optional' })).toThrow(SdpError);
    expect(answerSdpOffer(plain, ours, undefined, { mode: 'optional' }).srtp).toBeUndefined();
    // off: as before SRTP, an SAVP offer cannot be answered.
    expect(() => answerSdpOffer(farEnd('RTP/SAVP', `1 AES_CM_128_HMAC_SHA1_80 inline:${KEY}`), ours)).toThrow(
      SdpError,
    );
  });
});
