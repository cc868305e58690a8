import { describe, expect, it } from 'vitest';
import { parseHostports } from '../../../../src/sip/drachtio/parse-hostports.js';

describe('parseHostports', () => {
  it('reads the SIP addresses drachtio-server announces on connect', () => {
    expect(parseHostports('udp/127.0.0.1:5070,tcp/127.0.0.1:5070')).toEqual([
      { transport: 'udp', host: '127.0.0.1', port: 5070 },
      { transport: 'tcp', host: '127.0.0.1', port: 5070 },
    ]);
  });

  it('takes IPv6 hosts without brackets and skips what it cannot read', () => {
    expect(parseHostports('udp/[::1]:5060,garbage,,tcp/10.0.0.1')).toEqual([
      { transport: 'udp', host: '::1', port: 5060 },
    ]);
  });
});
