import { describe, expect, it } from 'vitest';
import { aesCmKeystream, deriveSrtpKeys, srtpPrf } from '../../../src/media/srtp-key-derivation.js';
import { isSrtpDrop, SrtpContext, type SrtpKeyMaterial } from '../../../src/media/srtp-context.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// RFC 3711 Appendix B.3.
const MASTER_KEY = hex('E1F97A0D3E018BE0D64FA32C06DE4139');
const MASTER_SALT = hex('0EC675AD498AFEEBB6960B3AABE6');

describe('SRTP key derivation (RFC 3711 B.3)', () => {
  it('derives the RTP cipher key, salt and auth key of the appendix', () => {
    const { rtp } = deriveSrtpKeys(MASTER_KEY, MASTER_SALT);
    expect(rtp.encryptionKey.toString('hex')).toBe('c61e7a93744f39ee10734afe3ff7a087');
    expect(rtp.salt.toString('hex')).toBe('30cbbc08863d8c85d49db34a9ae1');
    expect(rtp.authenticationKey.toString('hex')).toBe('cebe321f6ff7716b6fd4ab49af256a156d38baa4');
  });

  it('the PRF gives the appendix 256-bit auth key stream for label 1', () => {
    expect(srtpPrf(MASTER_KEY, MASTER_SALT, 1, 32).toString('hex')).toBe(
      'cebe321f6ff7716b6fd4ab49af256a156d38baa48f0a0acf3c34e2359e6cdbce',
    );
  });

  it('refuses a master key of the wrong length without printing it', () => {
    expect(() => deriveSrtpKeys(MASTER_KEY.subarray(0, 15), MASTER_SALT)).toThrow(
      /16 and 14 bytes, got 15 and 14/,
    );
  });
});

describe('AES-CM keystream (RFC 3711 B.2)', () => {
  it('matches the appendix blocks 0, 1, 2 and 0xff00', () => {
    const key = hex('2B7E151628AED2A6ABF7158809CF4F3C');
    const iv = hex('F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000');
    const stream = aesCmKeystream(key, iv, 16 * 0xff02);
    expect(stream.subarray(0, 48).toString('hex')).toBe(
      'e03ead0935c95e80e166b16dd92b4eb4d23513162b02d0f72a43a2fe4a5f97ab41e95b3bb0a2e8dd477901e4fca894c0',
    );
    expect(stream.subarray(16 * 0xfeff, 16 * 0xff02).toString('hex')).toBe(
      'ec8cdf7398607cb0f2d21675ea9ea1e4362b7c3c6773516318a077d7fc5073ae6a2cc3787889374fbeb4c81b17ba6c44',
    );
  });
});

const key80: SrtpKeyMaterial = {
  suite: 'AES_CM_128_HMAC_SHA1_80',
  masterKey: MASTER_KEY,
  masterSalt: MASTER_SALT,
};

function rtp(seq: number, ssrc = 0xcafebabe, payload = Buffer.alloc(16, 0xab)): Buffer {
  const header = Buffer.alloc(12);
  header[0] = 0x80;
  header[1] = 0x0f;
  header.writeUInt16BE(seq, 2);
  header.writeUInt32BE(0xdecafbad, 4);
  header.writeUInt32BE(ssrc, 8);
  return Buffer.concat([header, payload]);
}

describe('SrtpContext', () => {
  // libsrtp's known-answer packets (test/srtp_driver.c) for the B.3 master key: an independent check
  // of the IV, the tag over header, payload and ROC, and of SRTCP's layout.
  const LIBSRTP_RTP = '800f1234decafbadcafebabe4e55dc4ce79978d88ca4d215949d2402b78d6acc99ea179b8dbb';
  const LIBSRTP_RTCP_PLAIN = '81c8000bcafebabe' + 'ab'.repeat(16);
  const LIBSRTP_SRTCP = '81c8000bcafebabe7128035be487b9bdbef89041f977a5a880000001993e08cd54d6c1230798';

  it('protects RTP byte for byte as libsrtp does (SSRC cafebabe, seq 0x1234), with both tag lengths', () => {
    expect(new SrtpContext(key80).protectRtp(rtp(0x1234)).toString('hex')).toBe(LIBSRTP_RTP);
    expect(
      new SrtpContext({ ...key80, suite: 'AES_CM_128_HMAC_SHA1_32' }).protectRtp(rtp(0x1234)).toString('hex'),
    ).toBe(LIBSRTP_RTP.slice(0, -12));
    expect(new SrtpContext(key80).unprotectRtp(hex(LIBSRTP_RTP))).toEqual(rtp(0x1234));
  });

  it("unprotects libsrtp's SRTCP packet (E flag, index 1)", () => {
    expect(new SrtpContext(key80).unprotectRtcp(hex(LIBSRTP_SRTCP))).toEqual(hex(LIBSRTP_RTCP_PLAIN));
  });

  it('round-trips RTP with both suites and drops a tampered, replayed or foreign-key packet', () => {
    for (const suite of ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'] as const) {
      const sender = new SrtpContext({ ...key80, suite });
      const receiver = new SrtpContext({ ...key80, suite });
      const packet = sender.protectRtp(rtp(7));
      expect(packet.length).toBe(28 + (suite.endsWith('80') ? 10 : 4));
      expect(receiver.unprotectRtp(packet)).toEqual(rtp(7));
      expect(receiver.unprotectRtp(packet)).toEqual({ dropped: 'replay' });
      const tampered = Buffer.from(sender.protectRtp(rtp(8)));
      tampered[20] = (tampered[20] ?? 0) ^ 1;
      expect(receiver.unprotectRtp(tampered)).toEqual({ dropped: 'auth' });
      const other = new SrtpContext({ ...key80, suite, masterKey: Buffer.alloc(16, 1) });
      expect(receiver.unprotectRtp(other.protectRtp(rtp(9)))).toEqual({ dropped: 'auth' });
      expect(receiver.unprotectRtp(Buffer.alloc(8))).toEqual({ dropped: 'malformed' });
    }
  });

  it('follows the rollover counter across a sequence wrap, also with a packet reordered over it', () => {
    const sender = new SrtpContext(key80);
    const receiver = new SrtpContext(key80);
    const seqs = [0xfffd, 0xfffe, 0xffff, 0, 1, 2];
    const protectedPackets = seqs.map((s) => sender.protectRtp(rtp(s)));
    // 0xffff arrives after 0: it still belongs to the old rollover.
    for (const i of [0, 1, 3, 2, 4, 5]) {
      const plain = receiver.unprotectRtp(protectedPackets[i]!);
      expect(isSrtpDrop(plain), `seq ${seqs[i]}`).toBe(false);
      expect(plain).toEqual(rtp(seqs[i]!));
    }
    // After the wrap the keystream differs from rollover 0: a context that never saw the wrap
    // cannot take seq 3 of rollover 1 as seq 3 of rollover 0.
    const fresh = new SrtpContext(key80);
    fresh.unprotectRtp(new SrtpContext(key80).protectRtp(rtp(2)));
    expect(fresh.unprotectRtp(sender.protectRtp(rtp(3)))).toEqual({ dropped: 'auth' });
  });

  it('drops packets older than the 64-packet replay window', () => {
    const sender = new SrtpContext(key80);
    const receiver = new SrtpContext(key80);
    const old = sender.protectRtp(rtp(100));
    for (let s = 101; s <= 200; s++) receiver.unprotectRtp(sender.protectRtp(rtp(s)));
    expect(receiver.unprotectRtp(old)).toEqual({ dropped: 'replay' });
    const late = sender.protectRtp(rtp(201));
    const inWindow = new SrtpContext(key80).protectRtp(rtp(150));
    expect(isSrtpDrop(receiver.unprotectRtp(late))).toBe(false);
    expect(receiver.unprotectRtp(inWindow)).toEqual({ dropped: 'replay' });
  });

  it('protects RTCP with the E flag, an index and an 80-bit tag, also for the _32 suite', () => {
    const sr = Buffer.from('80c8000612345678' + '00'.repeat(20), 'hex');
    const sender = new SrtpContext({ ...key80, suite: 'AES_CM_128_HMAC_SHA1_32' });
    const receiver = new SrtpContext({ ...key80, suite: 'AES_CM_128_HMAC_SHA1_32' });
    const first = sender.protectRtcp(sr);
    const second = sender.protectRtcp(sr);
    expect(first.length).toBe(sr.length + 4 + 10);
    expect(first.subarray(0, 8).equals(sr.subarray(0, 8))).toBe(true);
    expect(first.subarray(8, sr.length).equals(sr.subarray(8))).toBe(false);
    expect(first.readUInt32BE(sr.length)).toBe(0x80000000);
    expect(second.readUInt32BE(sr.length)).toBe(0x80000001);
    expect(receiver.unprotectRtcp(second)).toEqual(sr);
    expect(receiver.unprotectRtcp(first)).toEqual(sr);
    expect(receiver.unprotectRtcp(first)).toEqual({ dropped: 'replay' });
    const tampered = Buffer.from(sender.protectRtcp(sr));
    tampered[10] = (tampered[10] ?? 0) ^ 1;
    expect(receiver.unprotectRtcp(tampered)).toEqual({ dropped: 'auth' });
  });

  it('carries and checks an MKI', () => {
    const withMki: SrtpKeyMaterial = { ...key80, mki: { value: 1, length: 2 } };
    const packet = new SrtpContext(withMki).protectRtp(rtp(5));
    expect(packet.subarray(28, 30).toString('hex')).toBe('0001');
    expect(new SrtpContext(withMki).unprotectRtp(packet)).toEqual(rtp(5));
    expect(new SrtpContext({ ...withMki, mki: { value: 2, length: 2 } }).unprotectRtp(packet)).toEqual({
      dropped: 'auth',
    });
  });
});

describe('SrtpReplayWindow', () => {
  it('takes each index once, out of order within 64 behind the highest, never older ones', async () => {
    const { SrtpReplayWindow } = await import('../../../src/media/srtp-replay-window.js');
    const w = new SrtpReplayWindow();
    const take = (i: number): boolean => {
      const ok = w.check(i);
      if (ok) w.accept(i);
      return ok;
    };
    expect([take(100), take(100), take(90), take(90), take(300)]).toEqual([true, false, true, false, true]);
    expect([take(237), take(236), take(237), take(250)]).toEqual([true, false, false, true]);
    // 2^40 + n: 48-bit indices stay exact in a double.
    expect([take(2 ** 40), take(2 ** 40 - 63), take(2 ** 40 - 64), take(2 ** 40 - 63)]).toEqual([
      true,
      true,
      false,
      false,
    ]);
  });
});
