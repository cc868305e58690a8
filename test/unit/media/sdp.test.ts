import { parse } from 'sdp-transform';
import { describe, expect, it } from 'vitest';
import {
  SdpError,
  buildSdpOffer,
  bumpSdpVersion,
  parseSdpAnswer,
  reviseSdp,
  type SdpOfferInput,
} from '../../../src/media/index.js';

/** Joins SDP lines with CRLF, as they travel. */
const sdp = (...lines: string[]): string => lines.map((l) => `${l}\r\n`).join('');

function sdpError(fn: () => unknown): SdpError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SdpError);
    expect((err as SdpError).code).toBe('MEDIA_SDP');
    return err as SdpError;
  }
  throw new Error('expected an SdpError');
}

describe('buildSdpOffer', () => {
  it('writes an RFC 4566 G.711 offer with telephone-event that parses back', () => {
    const text = buildSdpOffer({ address: '192.0.2.10', rtpPort: 40000 });
    expect(text.endsWith('\r\n')).toBe(true);
    expect(text.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    const lines = text.split('\r\n').slice(0, -1);
    expect(lines.map((l) => l.slice(0, 2))).toEqual([
      'v=',
      'o=',
      's=',
      'c=',
      't=',
      'm=',
      'a=',
      'a=',
      'a=',
      'a=',
      'a=',
      'a=',
    ]);
    expect(lines[0]).toBe('v=0');
    expect(lines[1]).toMatch(/^o=- \d+ 0 IN IP4 192\.0\.2\.10$/);
    expect(lines.slice(2)).toEqual([
      's=-',
      'c=IN IP4 192.0.2.10',
      't=0 0',
      'm=audio 40000 RTP/AVP 0 8 101',
      'a=rtpmap:0 PCMU/8000',
      'a=rtpmap:8 PCMA/8000',
      'a=rtpmap:101 telephone-event/8000',
      'a=fmtp:101 0-16',
      'a=ptime:20',
      'a=sendrecv',
    ]);

    const parsed = parse(text);
    const audio = parsed.media[0];
    expect(parsed.media).toHaveLength(1);
    expect(audio?.type).toBe('audio');
    expect(audio?.port).toBe(40000);
    expect(audio?.protocol).toBe('RTP/AVP');
    expect(String(audio?.payloads)).toBe('0 8 101');
    expect(audio?.rtp).toEqual([
      { payload: 0, codec: 'PCMU', rate: 8000 },
      { payload: 8, codec: 'PCMA', rate: 8000 },
      { payload: 101, codec: 'telephone-event', rate: 8000 },
    ]);
    expect(audio?.fmtp).toEqual([{ payload: 101, config: '0-16' }]);
    expect(audio?.ptime).toBe(20);
    expect(audio?.direction).toBe('sendrecv');
  });

  it('gives each offer its own numeric session id unless one is given', () => {
    const ids = new Set(
      Array.from(
        { length: 50 },
        () => /^o=- (\d+) /m.exec(buildSdpOffer({ address: '127.0.0.1', rtpPort: 4000 }))?.[1],
      ),
    );
    expect(ids.size).toBe(50);
    const fixed = buildSdpOffer({
      address: '127.0.0.1',
      rtpPort: 4000,
      sessionId: '9223372036854775807',
      sessionVersion: 7,
    });
    expect(fixed).toContain('o=- 9223372036854775807 7 IN IP4 127.0.0.1\r\n');
  });

  it('honours codecs, telephoneEvent, ptime and direction', () => {
    const text = buildSdpOffer({
      address: '127.0.0.1',
      rtpPort: 4002,
      codecs: ['PCMA'],
      telephoneEvent: false,
      ptime: 30,
      direction: 'sendonly',
    });
    expect(text).toContain('m=audio 4002 RTP/AVP 8\r\n');
    expect(text).not.toContain('telephone-event');
    expect(text).not.toContain('fmtp');
    expect(text).toContain('a=ptime:30\r\n');
    expect(text).toContain('a=sendonly\r\n');
    expect(buildSdpOffer({ address: '127.0.0.1', rtpPort: 4002, codecs: ['PCMA', 'PCMU'] })).toContain(
      'm=audio 4002 RTP/AVP 8 0 101\r\n',
    );
  });

  it('writes IP6 for an IPv6 address', () => {
    const text = buildSdpOffer({ address: '2001:db8::10', rtpPort: 4000 });
    expect(text).toMatch(/^o=- \d+ 0 IN IP6 2001:db8::10\r$/m);
    expect(text).toContain('c=IN IP6 2001:db8::10\r\n');
  });

  it.each<[Partial<SdpOfferInput>, string]>([
    [{ address: 'media.example.com' }, 'media.example.com'],
    [{ rtpPort: 0 }, 'rtpPort'],
    [{ rtpPort: 70000 }, '70000'],
    [{ codecs: [] }, 'codecs'],
    [{ codecs: ['G729' as 'PCMU'] }, 'G729'],
    [{ codecs: ['PCMU', 'PCMU'] }, 'repeat'],
    [{ ptime: 0 }, 'ptime'],
    [{ sessionId: 'abc' }, 'abc'],
    [{ sessionVersion: -1 }, 'sessionVersion'],
    [{ direction: 'both' as 'sendrecv' }, 'both'],
  ])('rejects bad input %j', (bad, named) => {
    const err = sdpError(() => buildSdpOffer({ address: '127.0.0.1', rtpPort: 4000, ...bad }));
    expect(err.message).toContain(named);
  });
});

describe('parseSdpAnswer', () => {
  it('reads a carrier answering PCMA only', () => {
    const answer = parseSdpAnswer(
      sdp(
        'v=0',
        'o=root 1180473498 1180473498 IN IP4 203.0.113.10',
        's=Asterisk PBX 18.20.0',
        'c=IN IP4 203.0.113.10',
        't=0 0',
        'm=audio 18640 RTP/AVP 8 101',
        'a=rtpmap:8 PCMA/8000',
        'a=rtpmap:101 telephone-event/8000',
        'a=fmtp:101 0-16',
        'a=ptime:20',
        'a=maxptime:150',
        'a=sendrecv',
      ),
    );
    expect(answer).toEqual({
      address: '203.0.113.10',
      port: 18640,
      codec: { name: 'PCMA', payloadType: 8, clockRate: 8000 },
      telephoneEvent: { payloadType: 101 },
      ptime: 20,
      direction: 'sendrecv',
      held: false,
    });
  });

  it('honours a=rtcp with and without an address', () => {
    const base = ['v=0', 'o=- 1 1 IN IP4 198.51.100.7', 's=-', 'c=IN IP4 198.51.100.7', 't=0 0'];
    const withAddress = parseSdpAnswer(
      sdp(...base, 'm=audio 30000 RTP/AVP 0', 'a=rtcp:30011 IN IP4 198.51.100.8', 'a=rtpmap:0 PCMU/8000'),
    );
    expect(withAddress.rtcpPort).toBe(30011);
    expect(withAddress.rtcpAddress).toBe('198.51.100.8');
    const portOnly = parseSdpAnswer(sdp(...base, 'm=audio 30000 RTP/AVP 0', 'a=rtcp:30001'));
    expect(portOnly.rtcpPort).toBe(30001);
    expect(portOnly.rtcpAddress).toBeUndefined();
    const none = parseSdpAnswer(sdp(...base, 'm=audio 30000 RTP/AVP 0'));
    expect(none.rtcpPort).toBeUndefined();
  });

  it('takes the session-level c= when the media has none, and the media-level one when it has', () => {
    const session = ['v=0', 'o=- 1 1 IN IP4 198.51.100.1', 's=-', 'c=IN IP4 198.51.100.1', 't=0 0'];
    expect(parseSdpAnswer(sdp(...session, 'm=audio 30000 RTP/AVP 0')).address).toBe('198.51.100.1');
    expect(
      parseSdpAnswer(sdp(...session, 'm=audio 30000 RTP/AVP 0', 'c=IN IP4 198.51.100.99', 'a=sendrecv'))
        .address,
    ).toBe('198.51.100.99');
    // Media-level only (no session c=), as some SBCs write it.
    expect(
      parseSdpAnswer(
        sdp('v=0', 'o=- 1 1 IN IP4 10.0.0.1', 's=-', 't=0 0', 'm=audio 30000 RTP/AVP 8', 'c=IN IP4 10.0.0.2'),
      ).address,
    ).toBe('10.0.0.2');
  });

  it('finds telephone-event at a payload type other than 101', () => {
    const answer = parseSdpAnswer(
      sdp(
        'v=0',
        'o=FreeSWITCH 1700000000 1700000001 IN IP4 192.0.2.50',
        's=FreeSWITCH',
        'c=IN IP4 192.0.2.50',
        't=0 0',
        'm=audio 24576 RTP/AVP 0 96',
        'a=rtpmap:0 PCMU/8000',
        'a=rtpmap:96 telephone-event/8000',
        'a=fmtp:96 0-16',
        'a=ptime:20',
      ),
    );
    expect(answer.codec).toEqual({ name: 'PCMU', payloadType: 0, clockRate: 8000 });
    expect(answer.telephoneEvent).toEqual({ payloadType: 96 });
  });

  it('ignores telephone-event at another clock rate, and when we did not offer it', () => {
    const lines = ['v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 'c=IN IP4 192.0.2.1', 't=0 0'];
    const wideband = sdp(...lines, 'm=audio 5000 RTP/AVP 0 97', 'a=rtpmap:97 telephone-event/48000');
    expect(parseSdpAnswer(wideband).telephoneEvent).toBeUndefined();
    const normal = sdp(...lines, 'm=audio 5000 RTP/AVP 0 101', 'a=rtpmap:101 telephone-event/8000');
    expect(parseSdpAnswer(normal).telephoneEvent).toEqual({ payloadType: 101 });
    expect(parseSdpAnswer(normal, { telephoneEvent: false }).telephoneEvent).toBeUndefined();
  });

  it('picks the first answered codec that we offered', () => {
    const lines = ['v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 'c=IN IP4 192.0.2.1', 't=0 0'];
    const both = sdp(...lines, 'm=audio 5000 RTP/AVP 18 8 0 101', 'a=rtpmap:18 G729/8000');
    expect(parseSdpAnswer(both).codec.name).toBe('PCMA');
    expect(parseSdpAnswer(both, { codecs: ['PCMU'] }).codec).toEqual({
      name: 'PCMU',
      payloadType: 0,
      clockRate: 8000,
    });
    // Static payload types need no rtpmap (RFC 3551), and a dynamic one mapped to PCMU counts.
    expect(parseSdpAnswer(sdp(...lines, 'm=audio 5000 RTP/AVP 0')).codec.name).toBe('PCMU');
    expect(parseSdpAnswer(sdp(...lines, 'm=audio 5000 RTP/AVP 98', 'a=rtpmap:98 pcmu/8000')).codec).toEqual({
      name: 'PCMU',
      payloadType: 98,
      clockRate: 8000,
    });
  });

  it('rejects a refused stream (port 0)', () => {
    const err = sdpError(() =>
      parseSdpAnswer(
        sdp('v=0', 'o=- 1 2 IN IP4 192.0.2.1', 's=-', 'c=IN IP4 192.0.2.1', 't=0 0', 'm=audio 0 RTP/AVP 0'),
      ),
    );
    expect(err.message).toContain('port 0');
  });

  it('rejects an answer with no codec in common, naming both sides', () => {
    const err = sdpError(() =>
      parseSdpAnswer(
        sdp(
          'v=0',
          'o=- 1 2 IN IP4 192.0.2.1',
          's=-',
          'c=IN IP4 192.0.2.1',
          't=0 0',
          'm=audio 5000 RTP/AVP 18 101',
          'a=rtpmap:18 G729/8000',
          'a=rtpmap:101 telephone-event/8000',
        ),
      ),
    );
    expect(err.message).toContain('18 G729/8000');
    expect(err.message).toContain('PCMU, PCMA');
    // PCMA in the answer is no use when we only offered PCMU.
    expect(() =>
      parseSdpAnswer(
        sdp(
          'v=0',
          'o=- 1 2 IN IP4 192.0.2.1',
          's=-',
          'c=IN IP4 192.0.2.1',
          't=0 0',
          'm=audio 5000 RTP/AVP 8',
        ),
        {
          codecs: ['PCMU'],
        },
      ),
    ).toThrow(SdpError);
  });

  it('reads an IPv6 answer', () => {
    const answer = parseSdpAnswer(
      sdp(
        'v=0',
        'o=- 1 1 IN IP6 2001:db8::5',
        's=-',
        'c=IN IP6 2001:db8::5',
        't=0 0',
        'm=audio 41000 RTP/AVP 0 101',
        'a=rtpmap:101 telephone-event/8000',
      ),
    );
    expect(answer.address).toBe('2001:db8::5');
    expect(answer.port).toBe(41000);
    expect(answer.held).toBe(false);
  });

  it('reports a held stream (0.0.0.0, sendonly, inactive) without throwing', () => {
    const head = ['v=0', 'o=- 1 3 IN IP4 192.0.2.1', 's=-', 't=0 0'];
    const zero = parseSdpAnswer(sdp(...head, 'c=IN IP4 0.0.0.0', 'm=audio 5000 RTP/AVP 0', 'a=sendrecv'));
    expect(zero).toMatchObject({ address: '0.0.0.0', direction: 'sendrecv', held: true });
    const sendonly = parseSdpAnswer(
      sdp(...head, 'c=IN IP4 192.0.2.1', 'm=audio 5000 RTP/AVP 0', 'a=sendonly'),
    );
    expect(sendonly).toMatchObject({ direction: 'sendonly', held: true });
    // Session-level direction applies when the media has none.
    const inactive = parseSdpAnswer(
      sdp(...head, 'c=IN IP4 192.0.2.1', 'a=inactive', 'm=audio 5000 RTP/AVP 0'),
    );
    expect(inactive).toMatchObject({ direction: 'inactive', held: true });
    const recvonly = parseSdpAnswer(
      sdp(...head, 'c=IN IP4 192.0.2.1', 'm=audio 5000 RTP/AVP 0', 'a=recvonly'),
    );
    expect(recvonly).toMatchObject({ direction: 'recvonly', held: false });
  });

  it('accepts LF-only line endings and a missing ptime', () => {
    const answer = parseSdpAnswer(
      [
        'v=0',
        'o=- 1 1 IN IP4 192.0.2.1',
        's=-',
        'c=IN IP4 192.0.2.1',
        't=0 0',
        'm=audio 5000 RTP/AVP 8',
        '',
      ].join('\n'),
    );
    expect(answer.codec.name).toBe('PCMA');
    expect(answer.ptime).toBeUndefined();
    expect(answer.direction).toBe('sendrecv');
  });

  it.each([
    ['', 'v=0'],
    ['SIP/2.0 200 OK\r\n', 'v=0'],
    [
      sdp('v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 'c=IN IP4 192.0.2.1', 't=0 0', 'm=video 5000 RTP/AVP 96'),
      'm=audio',
    ],
    [sdp('v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 't=0 0', 'm=audio 5000 RTP/AVP 0'), 'c='],
    [
      sdp('v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 'c=IN IP4 192.0.2.1', 't=0 0', 'm=audio 5000 RTP/SAVP 0'),
      'RTP/SAVP',
    ],
    [
      sdp('v=0', 'o=- 1 1 IN IP4 h', 's=-', 'c=IN IP4 media.example.com', 't=0 0', 'm=audio 5000 RTP/AVP 0'),
      'media.example.com',
    ],
    [sdp('v=0', 'o=- 1 1 IN IP4 h', 's=-', 'c=IN IP4 2001:db8::1', 't=0 0', 'm=audio 5000 RTP/AVP 0'), 'IP4'],
  ])('rejects an unusable answer %#', (text, named) => {
    expect(sdpError(() => parseSdpAnswer(text)).message).toContain(named);
  });

  it('reads our own offer back', () => {
    const answer = parseSdpAnswer(buildSdpOffer({ address: '127.0.0.1', rtpPort: 40002 }));
    expect(answer).toEqual({
      address: '127.0.0.1',
      port: 40002,
      codec: { name: 'PCMU', payloadType: 0, clockRate: 8000 },
      telephoneEvent: { payloadType: 101 },
      ptime: 20,
      direction: 'sendrecv',
      held: false,
    });
  });
});

describe('bumpSdpVersion and reviseSdp', () => {
  const offer = buildSdpOffer({ address: '127.0.0.1', rtpPort: 40000, sessionId: 4242, sessionVersion: 7 });

  it('increments only the o= version, leaving every other byte alone', () => {
    const bumped = bumpSdpVersion(offer);
    expect(bumped).toBe(offer.replace('o=- 4242 7 IN IP4', 'o=- 4242 8 IN IP4'));
    expect(bumpSdpVersion(bumped)).toContain('o=- 4242 9 IN IP4 127.0.0.1\r\n');
  });

  it('handles versions past 2^53 exactly, and LF-only bodies', () => {
    const big = 'v=0\no=- 1 18446744073709551615 IN IP4 127.0.0.1\ns=-\n';
    expect(bumpSdpVersion(big)).toBe('v=0\no=- 1 18446744073709551616 IN IP4 127.0.0.1\ns=-\n');
  });

  it('throws SdpError without a usable o= line', () => {
    expect(sdpError(() => bumpSdpVersion('v=0\r\ns=-\r\n')).message).toContain('o=');
    expect(() => bumpSdpVersion('v=0\r\no=- 1 x IN IP4 127.0.0.1\r\n')).toThrow(SdpError);
  });

  it('reviseSdp re-sends the previous SDP verbatim when nothing changed', () => {
    const rebuilt = buildSdpOffer({
      address: '127.0.0.1',
      rtpPort: 40000,
      sessionId: 999,
      sessionVersion: 0,
    });
    expect(reviseSdp(offer, rebuilt)).toBe(offer);
  });

  it('reviseSdp keeps the session id and bumps the version when the media changed', () => {
    const held = buildSdpOffer({ address: '127.0.0.1', rtpPort: 40000, direction: 'sendonly' });
    const revised = reviseSdp(offer, held);
    expect(revised).toContain('o=- 4242 8 IN IP4 127.0.0.1\r\n');
    expect(revised).toContain('a=sendonly\r\n');
    expect(revised.match(/^o=/gm)).toHaveLength(1);
  });
});

describe('buildSdpOffer with default options (the per-port template)', () => {
  it('gives each call its own session id and otherwise the same offer', () => {
    const build = buildSdpOffer;
    const a = build({ address: '127.0.0.1', rtpPort: 41000 });
    const b = build({ address: '127.0.0.1', rtpPort: 41000 });
    const idOf = (sdp: string): string | undefined => /^o=- (\d+) 0 IN IP4 127\.0\.0\.1$/m.exec(sdp)?.[1];
    expect(idOf(a)).toBeDefined();
    expect(idOf(a)).not.toBe(idOf(b));
    expect(a.replace(/^o=.*$/m, '')).toBe(b.replace(/^o=.*$/m, ''));
    expect(build({ address: '127.0.0.1', rtpPort: 41002 })).toContain('m=audio 41002 RTP/AVP 0 8 101');
  });
});
