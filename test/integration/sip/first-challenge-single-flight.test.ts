import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedSipEngine } from '../../../src/sip/embedded/embedded-engine.js';
import type { CallLeg } from '../../../src/sip/engine.js';
import { checkCredentials } from '../../helpers/digest.js';
import { startSipp } from '../../helpers/sipp.js';
import { received, SDP, trunkFor } from './conformance-helpers.js';

const CALLS = 100;

describe('the first challenge of a trunk is single-flight (embedded engine)', () => {
  let engine: EmbeddedSipEngine | undefined;

  afterEach(async () => {
    await engine?.close();
    engine = undefined;
  });

  it(`${CALLS} INVITEs fired at once on a cold engine: at most 2 are challenged, all are answered`, async () => {
    const peer = await startSipp({
      scenario: 'uas-proxy-auth-carrier.xml',
      calls: CALLS,
      timeoutMs: 120_000,
    });
    engine = new EmbeddedSipEngine({ listen: { host: '127.0.0.1', port: 0 }, transport: 'udp' });
    await engine.start();
    const trunk = trunkFor(peer);
    const settled = await Promise.allSettled(
      Array.from({ length: CALLS }, (_, i) =>
        engine!.invite({
          trunk,
          uri: `sip:55349841${String(49000 + i)}@carrier.test`,
          sdp: SDP,
          ringTimeoutMs: 60_000,
        }),
      ),
    );
    const legs = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failures = settled.flatMap((s) => (s.status === 'rejected' ? [String(s.reason)] : []));
    await Promise.all(legs.map((leg: CallLeg) => leg.hangup()));
    expect(failures).toEqual([]);
    expect(legs).toHaveLength(CALLS);
    expect(await peer.waitForExit(), await peer.errors()).toBe(0);

    const wire = await peer.messages();
    const challenged = wire.filter((m) => m.direction === 'sent' && m.status === 407);
    expect(challenged.length).toBeGreaterThanOrEqual(1);
    expect(challenged.length).toBeLessThanOrEqual(2);
    // Every INVITE after the challenge signed with its nonce, and with the right password.
    const invites = received(wire, 'INVITE');
    const signed = invites.filter((m) => m.headers['proxy-authorization'] !== undefined);
    expect(invites.length - signed.length).toBe(challenged.length);
    for (const invite of signed)
      expect(checkCredentials(invite, { username: 'dialer1', password: 'secret' }).valid).toBe(true);
  });
});
