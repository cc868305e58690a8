import { describe, expect, it } from 'vitest';
import { answerSdpOffer, buildSdpOffer, SdpError } from '../../../src/media/index.js';

const ours = buildSdpOffer({ address: '192.0.2.10', rtpPort: 40000, sessionId: 77 });

function offer(m: string, extra: string[] = [], c = '198.51.100.7'): string {
  return ['v=0', 'o=carrier 5 9 IN IP4 198.51.100.7', 's=-', `c=IN IP4 ${c}`, 't=0 0', m, ...extra, ''].join(
    '\r\n',
  );
}

describe('answerSdpOffer', () => {
  it('answers from our SDP: same address, port and session, the offer first codec we speak, their telephone-event type, version bumped', () => {
    const { sdp, remote } = answerSdpOffer(
      offer('m=audio 30000 RTP/AVP 8 0 96', ['a=rtpmap:96 telephone-event/8000', 'a=fmtp:96 0-16']),
      ours,
    );
    expect(remote).toMatchObject({ address: '198.51.100.7', port: 30000, codec: { name: 'PCMA' } });
    expect(sdp).toMatch(/^o=- 77 1 IN IP4 192\.0\.2\.10\r$/m);
    expect(sdp).toMatch(/^c=IN IP4 192\.0\.2\.10\r$/m);
    expect(sdp).toMatch(/^m=audio 40000 RTP\/AVP 8 96\r$/m);
    expect(sdp).toMatch(/^a=rtpmap:96 telephone-event\/8000\r$/m);
  });

  it('keeps the codec it is told to (media already running) and the version when nothing changed', () => {
    const first = answerSdpOffer(offer('m=audio 30000 RTP/AVP 8 0'), ours, ['PCMU']);
    expect(first.sdp).toMatch(/^m=audio 40000 RTP\/AVP 0\r$/m);
    const again = answerSdpOffer(offer('m=audio 30002 RTP/AVP 0 8'), first.sdp, ['PCMU']);
    expect(again.sdp).toBe(first.sdp);
    expect(again.remote.port).toBe(30002);
  });

  it('mid-call codec switch: keeps the running codec while offered (RFC 3264 §8.3.2), else takes the offer first we speak with its telephone-event type; none we speak is refused', () => {
    const running = answerSdpOffer(
      offer('m=audio 30000 RTP/AVP 0 101', ['a=rtpmap:101 telephone-event/8000']),
      ours,
    );
    const kept = answerSdpOffer(
      offer('m=audio 30000 RTP/AVP 8 0 101', ['a=rtpmap:101 telephone-event/8000']),
      running.sdp,
      undefined,
      undefined,
      'PCMU',
    );
    expect(kept.remote.codec).toEqual({ name: 'PCMU', payloadType: 0, clockRate: 8000 });
    expect(kept.sdp).toBe(running.sdp);
    const switched = answerSdpOffer(
      offer('m=audio 30000 RTP/AVP 8 97', ['a=rtpmap:97 telephone-event/8000']),
      running.sdp,
      undefined,
      undefined,
      'PCMU',
    );
    expect(switched.remote.codec).toEqual({ name: 'PCMA', payloadType: 8, clockRate: 8000 });
    expect(switched.remote.telephoneEvent).toEqual({ payloadType: 97 });
    expect(switched.sdp).toMatch(/^m=audio 40000 RTP\/AVP 8 97\r$/m);
    expect(switched.sdp).toMatch(/^o=- 77 2 /m);
    expect(() =>
      answerSdpOffer(offer('m=audio 30000 RTP/AVP 18'), running.sdp, undefined, undefined, 'PCMU'),
    ).toThrow(/no codec in common/);
  });

  it('mirrors the direction (RFC 3264 §6.1) and reports a hold', () => {
    const held = answerSdpOffer(offer('m=audio 30000 RTP/AVP 0', ['a=sendonly']), ours);
    expect(held.sdp).toMatch(/^a=recvonly\r$/m);
    expect(held.remote.held).toBe(true);
  });

  it('refuses with SdpError what it cannot take: no codec in common, a refused stream, SRTP', () => {
    expect(() => answerSdpOffer(offer('m=audio 30000 RTP/AVP 18', ['a=rtpmap:18 G729/8000']), ours)).toThrow(
      SdpError,
    );
    expect(() => answerSdpOffer(offer('m=audio 30000 RTP/AVP 8'), ours, ['PCMU'])).toThrow(
      /no codec in common/,
    );
    expect(() => answerSdpOffer(offer('m=audio 0 RTP/AVP 0'), ours)).toThrow(/port 0/);
    expect(() => answerSdpOffer(offer('m=audio 30000 RTP/SAVP 0'), ours)).toThrow(/protocol/);
  });
});
