import { describe, expect, it } from 'vitest';
import { latestSdp } from '../../../src/sip/embedded/latest-sdp.js';

const sdp = (id: string, version: string): string =>
  `v=0\r\no=x ${id} ${version} IN IP4 192.0.2.1\r\ns=-\r\n`;

describe('latestSdp', () => {
  it('a 2xx without a body keeps the early dialog SDP; no early SDP takes the 2xx', () => {
    expect(latestSdp(sdp('1', '2'), '')).toBe(sdp('1', '2'));
    expect(latestSdp(undefined, sdp('1', '1'))).toBe(sdp('1', '1'));
  });

  it('a 2xx repeating an older version of the session does not undo an UPDATE; a newer or another session wins', () => {
    expect(latestSdp(sdp('1', '2'), sdp('1', '1'))).toBe(sdp('1', '2'));
    expect(latestSdp(sdp('1', '2'), sdp('1', '3'))).toBe(sdp('1', '3'));
    expect(latestSdp(sdp('1', '2'), sdp('9', '1'))).toBe(sdp('9', '1'));
    expect(latestSdp(sdp('1', '99999999999999999999'), sdp('1', '99999999999999999998'))).toBe(
      sdp('1', '99999999999999999999'),
    );
  });
});
