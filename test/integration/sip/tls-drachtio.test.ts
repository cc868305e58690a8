import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseDrachtioUrl } from '../../../src/config/parse-drachtio-url.js';
import { DrachtioSipEngine } from '../../../src/sip/drachtio/drachtio-engine.js';
import type { SipTrunk } from '../../../src/sip/sip-trunk.js';
import { freePortPair } from '../../helpers/free-port.js';
import { kamailioMissing, startKamailioTls, type KamailioPeer } from '../../helpers/kamailio.js';
import { startSipp } from '../../helpers/sipp.js';
import { makeTestPki, type TestPki } from '../../helpers/test-pki.js';
import { received, SDP } from './conformance-helpers.js';
import { drachtioEngine } from './engines-under-test.js';

const drachtio = parseDrachtioUrl(process.env['DRACHTIO_URL'] ?? '');
const skip =
  drachtioEngine.skip ??
  (process.env['DRACHTIO_TLS'] !== '1'
    ? 'DRACHTIO_TLS is not 1: say so only when the drachtio-server behind DRACHTIO_URL has a tls contact ' +
      '(<contact>sips:ADDRESS:PORT;transport=tls</contact>) and <tls> certificates, with its default checks'
    : kamailioMissing());
if (skip !== undefined) console.warn(`SIP over TLS through drachtio-server SKIPPED: ${skip}`);

/**
 * SIP over TLS with `engine: drachtio` and `drachtio.tls: server`: drachtio-server opens the TLS
 * connection from its own tls contact to Kamailio (tls.so, a certificate from a CA made here),
 * which keeps the registration and relays calls to a sipp UAS over UDP. What drachtio-server
 * checks of Kamailio's certificate is its business: with its default settings, nothing (the CA
 * made here is one it was never given), and that is what these tests rely on.
 */
describe.skipIf(skip !== undefined)(
  `SIP over TLS through drachtio-server to Kamailio${skip !== undefined ? ` SKIPPED: ${skip}` : ''}`,
  () => {
    let pki: TestPki;
    let kamailio: KamailioPeer;
    let relayPort: number;
    let engine: DrachtioSipEngine | undefined;

    beforeAll(async () => {
      pki = await makeTestPki(['carrier.test'], { keep: true });
      relayPort = await freePortPair();
      const [tlsPort, udpPort] = [await freePortPair(), await freePortPair()];
      kamailio = await startKamailioTls({
        tlsPort,
        udpPort,
        certPath: pki.certPath,
        keyPath: pki.keyPath,
        relayTo: `127.0.0.1:${relayPort}`,
      });
    });

    afterAll(async () => {
      await kamailio?.stop();
      await pki?.remove();
    });

    afterEach(async () => {
      await engine?.close();
      engine = undefined;
    });

    async function start(): Promise<DrachtioSipEngine> {
      if (drachtio === undefined) throw new Error('DRACHTIO_URL does not parse');
      engine = new DrachtioSipEngine({ ...drachtio, tls: 'server', connectTimeoutMs: 5000 });
      await engine.start();
      return engine;
    }

    const trunk = (overrides: Partial<SipTrunk> = {}): SipTrunk => ({
      name: 'tls-carrier',
      domain: 'carrier.test',
      proxy: `127.0.0.1:${kamailio.tlsPort}`,
      transport: 'tls',
      username: 'dialer1',
      ...overrides,
    });

    it('registers over TLS from drachtio-server, places a call sipp answers through Kamailio, hangs up', async () => {
      const sipp = await startSipp({ scenario: 'uas-answer-record-route.xml', port: relayPort });
      const sip = await start();
      // Kamailio listens for TLS only on this port: a REGISTER sent any other way gets no answer.
      const registration = await sip.register(trunk());
      expect(registration.status.state).toBe('registered');

      const leg = await sip.invite({
        trunk: trunk(),
        uri: 'sip:5534984149880@carrier.test',
        sdp: SDP,
        ringTimeoutMs: 10_000,
      });
      expect(leg.remoteSdp).toContain('m=audio');
      await leg.hangup();
      expect(await sipp.waitForExit(), await sipp.errors()).toBe(0);

      // What Kamailio relayed still carries drachtio-server's TLS Via and Contact below its own.
      const wire = await sipp.messages();
      const [invite] = received(wire, 'INVITE');
      expect(invite?.requestUri).toBe('sip:5534984149880@carrier.test');
      expect(invite?.headerValues['via']?.some((v) => /^SIP\/2\.0\/TLS /i.test(v))).toBe(true);
      expect(invite?.headers['contact']).toMatch(/;transport=tls/i);
      expect(received(wire, 'BYE')).toHaveLength(1);
      await registration.unregister();
    });

    it('a sips trunk writes sips: in the REGISTER and in the call’s Request-URI, From, To and Contact', async () => {
      const sipp = await startSipp({ scenario: 'uas-answer-record-route.xml', port: relayPort });
      const sip = await start();
      const registration = await sip.register(trunk({ sips: true }));
      expect(registration.status.state).toBe('registered');
      const leg = await sip.invite({
        trunk: trunk({ sips: true }),
        uri: 'sip:5534984149880@carrier.test',
        sdp: SDP,
        ringTimeoutMs: 10_000,
      });
      await leg.hangup();
      expect(await sipp.waitForExit(), await sipp.errors()).toBe(0);
      const [invite] = received(await sipp.messages(), 'INVITE');
      expect(invite?.requestUri).toBe('sips:5534984149880@carrier.test');
      expect(invite?.headers['from']).toMatch(/<sips:dialer1@carrier\.test>/);
      expect(invite?.headers['to']).toMatch(/<sips:5534984149880@carrier\.test>/);
      expect(invite?.headers['contact']).toMatch(/^<sips:/);
      expect(invite?.headerValues['via']?.some((v) => /^SIP\/2\.0\/TLS /i.test(v))).toBe(true);
      await registration.unregister();
    });
  },
);
