import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { SipEngine } from '../../../src/sip/engine.js';
import { SipFailure } from '../../../src/sip/sip-failure.js';
import { SIPP_FIXTURES, startSipp } from '../../helpers/sipp.js';
import { trunkFor } from './conformance-helpers.js';
import { drachtioEngine } from './engines-under-test.js';

const SDP =
  'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';

/** What only the drachtio engine does, against the drachtio-server DRACHTIO_URL names. */
describe.skipIf(drachtioEngine.skip !== undefined)('drachtio engine against drachtio-server', () => {
  let engine: SipEngine | undefined;
  afterEach(async () => {
    await engine?.close();
    engine = undefined;
  });

  it('fails a carrier that asks only for SHA-256 digest with a SipFailure naming the algorithm', async () => {
    // The 401 fixture with its challenge switched to SHA-256 (the embedded engine would answer it).
    const fixture = await readFile(join(SIPP_FIXTURES, 'uas-challenge-401.xml'), 'utf8');
    const dir = await mkdtemp(join(tmpdir(), 'drachtio-sha256-'));
    const scenario = join(dir, 'uas-challenge-sha256.xml');
    await writeFile(scenario, fixture.replace('algorithm=MD5', 'algorithm=SHA-256'));
    const peer = await startSipp({ scenario });
    engine = await drachtioEngine.create({ transport: 'udp' });
    const failure = await engine
      .invite({
        trunk: {
          name: 'carrier',
          domain: 'carrier.test',
          proxy: peer.uri,
          username: 'dialer1',
          password: 'secret',
        },
        uri: 'sip:100@carrier.test',
        sdp: SDP,
        ringTimeoutMs: 5000,
      })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(failure).toBeInstanceOf(SipFailure);
    expect(failure).toMatchObject({ status: 401, phase: 'auth', unsupportedAlgorithm: 'SHA-256' });
    expect((failure as SipFailure).message).toMatch(/SHA-256.*MD5 only/);
    // Nothing was sent with wrong credentials: one INVITE, no second try.
    const invites = (await peer.messages()).filter(
      (m) => m.direction === 'received' && m.method === 'INVITE',
    );
    expect(invites).toHaveLength(1);
  });

  it('hears a registrar that answers at once, even in the read that says the REGISTER went out', async () => {
    // drachtio-server may pass up "sent" and a quick answer in one read of the control socket; a
    // listener added a tick late missed that answer, and the REGISTER waited out its 64·T1 for
    // nothing. A local sipp answers within a millisecond: a fresh connection per round hits that
    // read often. T1 of 100 ms bounds the wait at 6.4 s, so a missed answer fails the round.
    const warnings: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(line) });
    for (let round = 1; round <= 20; round++) {
      const peer = await startSipp({ scenario: 'uas-register-423.xml' });
      engine = await drachtioEngine.create({ transport: 'udp', t1Ms: 100, logger });
      const registration = await engine.register(
        trunkFor(peer, { password: undefined, registerExpiresSec: 60 }),
      );
      expect(registration.status.grantedExpiresSec).toBe(3600);
      await registration.unregister();
      expect(await peer.waitForExit()).toBe(0);
      expect(warnings.filter((line) => line.includes('unregister got no answer'))).toEqual([]);
      await engine.close();
    }
  });
});
