import { afterEach, describe, expect, it } from 'vitest';
import type { ProvisionalInfo, SipEngine } from '../../../src/sip/engine.js';
import { startSipp } from '../../helpers/sipp.js';
import { endedOf, failureOf, received, SDP, trunkFor } from './conformance-helpers.js';
import { enginesUnderTest } from './engines-under-test.js';

for (const underTest of enginesUnderTest) {
  describe.skipIf(underTest.skip !== undefined)(`SIP engine conformance, more: ${underTest.name}`, () => {
    let engine: SipEngine | undefined;

    afterEach(async () => {
      await engine?.close();
      engine = undefined;
    });

    async function start(): Promise<SipEngine> {
      engine = await underTest.create({ transport: 'udp' });
      return engine;
    }

    it('refreshes a session timer it was made refresher of (RFC 4028) until the far end hangs up', async ({
      skip,
    }) => {
      skip(
        underTest.name === 'drachtio',
        'drachtio-server refreshes with re-INVITE and asserts (crashes) on a Session-Expires under ~10 s; carriers use 90 s or more',
      );
      const peer = await startSipp({ scenario: 'uas-session-timer.xml' });
      const sip = await start();
      const leg = await sip.invite({
        trunk: trunkFor(peer),
        uri: 'sip:100@carrier.test',
        sdp: SDP,
        ringTimeoutMs: 5000,
      });
      const ended = endedOf(leg);
      // sipp fails the call (exit 1) on a refresh that is missing, late or without the headers.
      expect(await peer.waitForExit(), await peer.errors()).toBe(0);
      // The UAS hangs up only after two refreshes, each due before its 2 s session ran out.
      expect(await ended).toMatchObject({ by: 'remote', reason: 'bye' });

      const wire = await peer.messages();
      const refreshes = wire.filter(
        (m) =>
          m.direction === 'received' &&
          (m.method === 'UPDATE' || (m.method === 'INVITE' && /;\s*tag=/.test(m.headers['to'] ?? ''))),
      );
      expect(refreshes).toHaveLength(2);
      const [invite] = received(wire, 'INVITE');
      for (const refresh of refreshes) {
        // The 200 allowed UPDATE: a refresh without renegotiating the SDP.
        expect(refresh.method).toBe('UPDATE');
        expect(refresh.headers['session-expires']).toMatch(/^2\s*(;|$)/);
        expect(refresh.headers['session-expires']).toMatch(/refresher=uac/);
        expect(refresh.headerValues['supported']?.join(',')).toMatch(/\btimer\b/);
        expect(refresh.headers['call-id']).toBe(invite?.headers['call-id']);
        expect(refresh.requestUri).toMatch(/^sip:sipp@127\.0\.0\.1:\d+/);
      }
      const seqs = refreshes.map((r) => Number.parseInt(r.headers['cseq'] ?? '0', 10));
      expect(seqs[1]).toBeGreaterThan(seqs[0] ?? Infinity);
      expect(received(wire, 'BYE')).toHaveLength(0);
      expect(wire.filter((m) => m.unexpected)).toEqual([]);
    });

    it('hangs up with BYE when the far end was the refresher and never refreshed', async () => {
      const peer = await startSipp({ scenario: 'uas-session-timer-uas-refresher.xml' });
      const sip = await start();
      const leg = await sip.invite({
        trunk: trunkFor(peer),
        uri: 'sip:100@carrier.test',
        sdp: SDP,
        ringTimeoutMs: 5000,
      });
      const ended = endedOf(leg);
      // sipp waits 5 s for the BYE, then fails the call (exit 1).
      expect(await peer.waitForExit(), await peer.errors()).toBe(0);
      const end = await ended;
      expect(end).toMatchObject({ by: 'local', reason: 'session-timer-expired' });
      expect(leg.end).toEqual(end);
      const wire = await peer.messages();
      expect(received(wire, 'BYE')).toHaveLength(1);
      // Watching, not refreshing: nothing else went out in the dialog.
      expect(received(wire, 'UPDATE')).toHaveLength(0);
      expect(received(wire, 'INVITE')).toHaveLength(1);
    });

    it('reports a 183 with early-media SDP to onProvisional, then the answered call', async () => {
      const peer = await startSipp({ scenario: 'uas-183-early-media.xml' });
      const sip = await start();
      const provisional: ProvisionalInfo[] = [];
      const leg = await sip.invite({
        trunk: trunkFor(peer),
        uri: 'sip:5534984149880@carrier.test',
        sdp: SDP,
        ringTimeoutMs: 5000,
        onProvisional: (p) => provisional.push(p),
      });
      expect(provisional.map((p) => p.status)).toEqual([183]);
      const [progress] = provisional;
      expect(progress?.reason).toBe('Session Progress');
      expect(progress?.sdp).toContain('m=audio');
      expect(progress?.afterMs).toBeGreaterThanOrEqual(0);
      expect(leg.timings.postDialDelayMs).toBe(progress?.afterMs);
      expect(leg.remoteSdp).toContain('m=audio');
      const end = await leg.hangup();
      expect(end.by).toBe('local');
      expect(await peer.waitForExit(), await peer.errors()).toBe(0);
      const wire = await peer.messages();
      expect(received(wire, 'ACK')).toHaveLength(1);
      expect(received(wire, 'BYE')).toHaveLength(1);
      // No 100rel was asked for: nothing to PRACK.
      expect(received(wire, 'PRACK')).toHaveLength(0);
    });

    it('reports a 302 with its Contact and ACKs it instead of following the redirect', async () => {
      const peer = await startSipp({ scenario: 'uas-redirect-302.xml' });
      const sip = await start();
      const failure = await failureOf(
        sip.invite({
          trunk: trunkFor(peer),
          uri: 'sip:5534984149880@carrier.test',
          sdp: SDP,
          ringTimeoutMs: 5000,
        }),
      );
      expect(failure.status).toBe(302);
      expect(failure.reason).toBe('Moved Temporarily');
      expect(failure.local).toBe(false);
      expect(failure.headers['contact']).toContain('sip:5534984149880@127.0.0.1:9');
      expect(await peer.waitForExit(), await peer.errors()).toBe(0);
      const wire = await peer.messages();
      const invites = received(wire, 'INVITE');
      expect(invites).toHaveLength(1);
      const [ack] = received(wire, 'ACK');
      // The ACK of a non-2xx reuses the INVITE's CSeq number (drachtio's sofia starts it at random).
      expect(ack?.headers['cseq']).toBe(`${Number.parseInt(invites[0]?.headers['cseq'] ?? '', 10)} ACK`);
      expect(ack?.requestUri).toBe('sip:5534984149880@carrier.test');
    });
  });
}
