import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RegistrationStatus } from '../../../src/sip/engine.js';
import { EmbeddedSipEngine } from '../../../src/sip/embedded/embedded-engine.js';
import type { SipTraceEntry } from '../../../src/sip/embedded/sip-trace.js';
import { TlsCertificateRejectedError } from '../../../src/sip/embedded/transport/tls-certificate-rejected-error.js';
import type { SipTrunk } from '../../../src/sip/sip-trunk.js';
import { freePortPair } from '../../helpers/free-port.js';
import { kamailioMissing, startKamailioTls, type KamailioPeer } from '../../helpers/kamailio.js';
import { startSipp } from '../../helpers/sipp.js';
import { makeTestPki, type TestPki } from '../../helpers/test-pki.js';
import { waitFor } from '../../helpers/wait-for.js';
import { failureOf, received, SDP } from './conformance-helpers.js';

const missing = kamailioMissing();

/** The certificate refusal somewhere down a failure's cause chain. */
function rejectionIn(error: unknown): TlsCertificateRejectedError | undefined {
  for (let e = error; e instanceof Error; e = e.cause) if (e instanceof TlsCertificateRejectedError) return e;
  return undefined;
}

/**
 * SIP over TLS against a real carrier-grade proxy: Kamailio with tls.so presents a certificate
 * from a CA made here, keeps our registration and relays calls to a sipp UAS over UDP.
 */
describe.skipIf(missing !== undefined)(
  `SIP over TLS to Kamailio${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    let pki: TestPki;
    let kamailio: KamailioPeer;
    let relayPort: number;
    let engine: EmbeddedSipEngine | undefined;
    let trace: SipTraceEntry[] = [];

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
      trace = [];
    });

    async function start(keepAliveMs = 0): Promise<EmbeddedSipEngine> {
      engine = new EmbeddedSipEngine({
        listen: { host: '127.0.0.1', port: 0 },
        tlsKeepAlive: { intervalMs: keepAliveMs, timeoutMs: 5_000 },
        trace: (entry) => trace.push(entry),
      });
      await engine.start();
      return engine;
    }

    function trunk(tls: SipTrunk['tls'] = {}): SipTrunk {
      return {
        name: 'tls-carrier',
        domain: 'carrier.test',
        proxy: `127.0.0.1:${kamailio.tlsPort}`,
        transport: 'tls',
        username: 'dialer1',
        tls: { ca: pki.caPath, ...tls },
      };
    }

    const sent = (method: string): SipTraceEntry[] =>
      trace.filter((e) => e.direction === 'sent' && e.raw.toString('latin1').startsWith(`${method} `));

    it('registers over TLS, places a call sipp answers through Kamailio, hangs up with BYE over TLS, keeps the connection alive', async () => {
      const sipp = await startSipp({ scenario: 'uas-answer-record-route.xml', port: relayPort });
      const sip = await start(200);
      const registration = await sip.register(trunk());
      expect(registration.status.state).toBe('registered');

      const leg = await sip.invite({
        trunk: trunk(),
        uri: 'sip:5534984149880@carrier.test',
        sdp: SDP,
        ringTimeoutMs: 10_000,
      });
      expect(leg.remoteSdp).toContain('m=audio');
      // CRLF pings answered by Kamailio's pongs (RFC 5626 §4.4.1) on the one connection.
      await waitFor(() => sip.stats.tls.pongs >= 2, { what: 'two CRLF pongs from Kamailio' });
      await leg.hangup();
      expect(await sipp.waitForExit(), await sipp.errors()).toBe(0);

      // Everything went over TLS to Kamailio: nothing fell back to UDP or TCP.
      expect(trace.length).toBeGreaterThan(0);
      expect(new Set(trace.map((e) => e.remote.transport))).toEqual(new Set(['tls']));
      expect(sip.stats.tls.connections).toBe(1);
      const [register] = sent('REGISTER');
      expect(register?.raw.toString('latin1')).toMatch(
        /^Via: SIP\/2\.0\/TLS 127\.0\.0\.1:\d+;rport;branch=/m,
      );
      expect(register?.raw.toString('latin1')).toMatch(
        /^Contact: <sip:dialer1@127\.0\.0\.1:\d+;transport=tls>/m,
      );
      expect(sent('BYE')).toHaveLength(1);

      // What Kamailio relayed to sipp still carries our TLS Via and Contact below its own.
      const wire = await sipp.messages();
      const [invite] = received(wire, 'INVITE');
      expect(invite?.headerValues['via']?.some((v) => v.startsWith('SIP/2.0/TLS 127.0.0.1:'))).toBe(true);
      expect(invite?.headers['contact']).toMatch(/;transport=tls>/);
      expect(received(wire, 'BYE')).toHaveLength(1);
      await registration.unregister();
    });

    it('refuses a carrier whose certificate another CA signed: TLS_CERTIFICATE_REJECTED, never plaintext', async () => {
      const sip = await start();
      const error = await failureOf(sip.register(trunk({ ca: pki.otherCaPath })));
      expect(error.phase).toBe('transport');
      const cause = error.cause;
      expect(cause).toBeInstanceOf(TlsCertificateRejectedError);
      const rejected = cause as TlsCertificateRejectedError;
      expect(rejected.code).toBe('TLS_CERTIFICATE_REJECTED');
      expect(rejected.trunk).toBe('tls-carrier');
      expect(rejected.reason).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY/);
      expect(error.reason).toContain('trunk tls-carrier');

      const call = await failureOf(
        sip.invite({
          trunk: trunk({ ca: pki.otherCaPath }),
          uri: 'sip:5534984149880@carrier.test',
          sdp: SDP,
          ringTimeoutMs: 10_000,
        }),
      );
      expect(rejectionIn(call)?.code).toBe('TLS_CERTIFICATE_REJECTED');
      expect(call.reason).toContain('TLS certificate of');
      expect(new Set(trace.map((e) => e.remote.transport))).toEqual(new Set(['tls']));
      expect(sip.stats.tls.connections).toBe(0);
    });

    it('refuses a certificate for another name than the trunk domain (or servername)', async () => {
      const sip = await start();
      const error = await failureOf(sip.register(trunk({ servername: 'other-carrier.test' })));
      const rejected = error.cause as TlsCertificateRejectedError;
      expect(rejected.code).toBe('TLS_CERTIFICATE_REJECTED');
      expect(rejected.reason).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
      expect(rejected.message).toContain('"other-carrier.test"');
    });

    it('re-registers on a new connection after the carrier drops it, and calls go out on it', async () => {
      const sip = await start();
      const registration = await sip.register(trunk());
      const states: RegistrationStatus['state'][] = [];
      registration.on('state', (status) => states.push(status.state));

      await kamailio.restart();
      // Kamailio keeps bindings in memory: only a fresh REGISTER on a fresh connection binds us again.
      await waitFor(() => states.includes('registered'), { what: 'registered again after the restart' });
      expect(states[0]).toBe('registering');
      expect(sent('REGISTER').length).toBeGreaterThanOrEqual(2);

      const sipp = await startSipp({ scenario: 'uas-answer-record-route.xml', port: relayPort });
      const leg = await sip.invite({
        trunk: trunk(),
        uri: 'sip:5534984149880@carrier.test',
        sdp: SDP,
        ringTimeoutMs: 10_000,
      });
      await leg.hangup();
      expect(await sipp.waitForExit(), await sipp.errors()).toBe(0);
      expect(sip.stats.tls.connections).toBe(1);
      await registration.unregister();
    });
  },
);
