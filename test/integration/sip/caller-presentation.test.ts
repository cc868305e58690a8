import { afterEach, describe, expect, it } from 'vitest';
import type { ProvisionalInfo, SipEngine } from '../../../src/sip/engine.js';
import { startSipp } from '../../helpers/sipp.js';
import { received, SDP, trunkFor } from './conformance-helpers.js';
import { enginesUnderTest } from './engines-under-test.js';

describe.each(enginesUnderTest)('caller-ID presentation on the wire: $name', (under) => {
  let engine: SipEngine | undefined;

  afterEach(async () => {
    await engine?.close();
    engine = undefined;
  });

  it.skipIf(under.skip !== undefined)(
    'withheld: anonymous From, Privacy: id, the real identity in PAI, Diversion; records the attestation',
    { timeout: 30_000 },
    async () => {
      const peer = await startSipp({ scenario: 'uas-answer-identity.xml' });
      engine = await under.create({ transport: 'udp' });
      const provisional: ProvisionalInfo[] = [];
      const leg = await engine.invite({
        trunk: trunkFor(peer, { pAssertedIdentity: 'tel', diversion: '+5534988887777' }),
        uri: 'sip:5534984149880@carrier.test',
        sdp: SDP,
        callerId: '+55 34 99999-0000',
        callerIdWithheld: true,
        headers: { 'X-Campaign': 'spring' },
        ringTimeoutMs: 5000,
        onProvisional: (p) => provisional.push(p),
      });
      expect(leg.attestation).toEqual({ attest: 'A', status: 200 });
      expect(provisional.find((p) => p.status === 180)?.attestation).toEqual({
        verstat: 'TN-Validation-Passed',
        status: 180,
      });
      await leg.hangup();
      expect(await peer.waitForExit(), await peer.errors()).toBe(0);

      const [invite] = received(await peer.messages(), 'INVITE');
      expect(invite?.headers['from']).toMatch(/^"Anonymous" <sip:anonymous@anonymous\.invalid>;tag=/);
      expect(invite?.headers['from']).not.toContain('99999');
      expect(invite?.headerValues['p-asserted-identity']).toEqual(['<tel:+5534999990000>']);
      expect(invite?.headers['privacy']).toBe('id');
      expect(invite?.headers['diversion']).toBe('<sip:+5534988887777@carrier.test>;reason=unconditional');
      expect(invite?.headers['x-campaign']).toBe('spring');
    },
  );

  it.skipIf(under.skip !== undefined)(
    'shown: the caller ID in From display and PAI as sip:, no Privacy',
    { timeout: 30_000 },
    async () => {
      const peer = await startSipp({ scenario: 'uas-answer.xml' });
      engine = await under.create({ transport: 'udp' });
      const leg = await engine.invite({
        trunk: trunkFor(peer),
        uri: 'sip:5534984149880@carrier.test',
        sdp: SDP,
        callerId: '+5534999990000',
        ringTimeoutMs: 5000,
      });
      // This carrier says nothing of the caller ID.
      expect(leg.attestation).toBeUndefined();
      await leg.hangup();
      expect(await peer.waitForExit(), await peer.errors()).toBe(0);
      const [invite] = received(await peer.messages(), 'INVITE');
      expect(invite?.headers['from']).toMatch(/^"\+5534999990000" <sip:dialer1@carrier\.test>;tag=/);
      expect(invite?.headerValues['p-asserted-identity']).toEqual(['<sip:+5534999990000@carrier.test>']);
      expect(invite?.headers['privacy']).toBeUndefined();
    },
  );

  it.skipIf(under.skip !== undefined)('refuses a job header that would set the identity', async () => {
    engine = await under.create({ transport: 'udp' });
    await expect(
      engine.invite({
        trunk: { name: 'carrier', domain: 'carrier.test', proxy: '127.0.0.1:9' },
        uri: 'sip:5534984149880@carrier.test',
        sdp: SDP,
        headers: { 'P-Asserted-Identity': '<sip:+15550000000@evil.test>' },
        ringTimeoutMs: 5000,
      }),
    ).rejects.toMatchObject({ code: 'SIP_INVALID_HEADER', message: /P-Asserted-Identity/ });
  });
});
