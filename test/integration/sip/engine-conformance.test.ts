import { afterEach, describe, expect, it } from 'vitest';
import type { SipEngine } from '../../../src/sip/engine.js';
import { startSipp, type WireMessage } from '../../helpers/sipp.js';
import { endedOf, failureOf, received, SDP, trunkFor } from './conformance-helpers.js';
import { enginesUnderTest } from './engines-under-test.js';

for (const underTest of enginesUnderTest) {
  describe.skipIf(underTest.skip !== undefined)(`SIP engine conformance: ${underTest.name}`, () => {
    let engine: SipEngine | undefined;

    afterEach(async () => {
      await engine?.close();
      engine = undefined;
    });

    async function start(transport: 'udp' | 'tcp' = 'udp', t1Ms?: number): Promise<SipEngine> {
      engine = await underTest.create({ transport, ...(t1Ms !== undefined ? { t1Ms } : {}) });
      return engine;
    }

    it('places a call that is answered, ACKs the 200 and hangs up with BYE', async () => {
      const peer = await startSipp({ scenario: 'uas-answer.xml' });
      const sip = await start();
      const provisional: number[] = [];
      const leg = await sip.invite({
        trunk: trunkFor(peer),
        uri: 'sip:5534984149880@carrier.test',
        sdp: SDP,
        ringTimeoutMs: 5000,
        onProvisional: (p) => provisional.push(p.status),
      });
      expect(leg.remoteSdp).toContain('m=audio');
      expect(provisional).toContain(180);
      expect(leg.timings.invitesSent).toBe(1);
      expect(leg.timings.postDialDelayMs).toBeGreaterThanOrEqual(0);
      const end = await leg.hangup();
      expect(end.by).toBe('local');
      expect(await peer.waitForExit()).toBe(0);

      const wire = await peer.messages();
      const [invite] = received(wire, 'INVITE');
      expect(invite?.requestUri).toBe('sip:5534984149880@carrier.test');
      expect(invite?.headers['via']).toMatch(/^SIP\/2\.0\/UDP 127\.0\.0\.1:\d+;rport;branch=z9hG4bK/);
      expect(invite?.headers['content-type']).toBe('application/sdp');
      expect(invite?.body).toContain('m=audio 40000 RTP/AVP');
      const viaPort = /127\.0\.0\.1:(\d+)/.exec(invite?.headers['via'] ?? '')?.[1];
      expect(invite?.headers['contact']).toContain(`127.0.0.1:${viaPort}`);
      expect(received(wire, 'ACK')).toHaveLength(1);
      expect(received(wire, 'BYE')).toHaveLength(1);
    });

    it('answers a 401 challenge with digest credentials (qop=auth) and reuses Call-ID and From tag', async () => {
      const peer = await startSipp({ scenario: 'uas-challenge-401.xml' });
      const sip = await start();
      const leg = await sip.invite({
        trunk: trunkFor(peer),
        uri: 'sip:100@carrier.test',
        sdp: SDP,
        ringTimeoutMs: 5000,
      });
      expect(leg.timings.invitesSent).toBe(2);
      await leg.hangup();
      expect(await peer.waitForExit()).toBe(0);
      const invites = received(await peer.messages(), 'INVITE');
      expect(invites).toHaveLength(2);
      expect(invites[0]?.headers['authorization']).toBeUndefined();
      expect(invites[1]?.headers['authorization']).toMatch(
        /Digest .*username="dialer1".*qop=auth.*nc=00000001/,
      );
      expect(invites[1]?.headers['call-id']).toBe(invites[0]?.headers['call-id']);
      expect(invites[1]?.headers['from']).toBe(invites[0]?.headers['from']);
      if (underTest.name === 'drachtio') {
        // drachtio-server (sofia-sip) starts CSeq at a random number (RFC 3261 §8.1.1.5 allows it).
        const seq = (m: WireMessage | undefined): number => Number.parseInt(m?.headers['cseq'] ?? '', 10);
        expect(seq(invites[1])).toBe(seq(invites[0]) + 1);
      } else {
        expect(invites[1]?.headers['cseq']).toBe('2 INVITE');
      }
    });

    it('answers a 407 with Proxy-Authorization', async () => {
      const peer = await startSipp({ scenario: 'uas-challenge-407.xml' });
      const sip = await start();
      const leg = await sip.invite({
        trunk: trunkFor(peer),
        uri: 'sip:100@carrier.test',
        sdp: SDP,
        ringTimeoutMs: 5000,
      });
      await leg.hangup();
      expect(await peer.waitForExit()).toBe(0);
      const invites = received(await peer.messages(), 'INVITE');
      expect(invites[1]?.headers['proxy-authorization']).toMatch(/^Digest /);
    });

    it('retries once with the fresh nonce when the carrier says stale=true', async ({ skip }) => {
      skip(
        underTest.name === 'drachtio',
        'drachtio-srf answers one challenge per request (lib/digest-client.js): a second 401, stale or not, reaches the caller; as it never sends a cached nonce, a stale one is unlikely',
      );
      const peer = await startSipp({ scenario: 'uas-stale-nonce.xml' });
      const sip = await start();
      const leg = await sip.invite({
        trunk: trunkFor(peer),
        uri: 'sip:100@carrier.test',
        sdp: SDP,
        ringTimeoutMs: 5000,
      });
      expect(leg.timings.invitesSent).toBe(3);
      await leg.hangup();
      expect(await peer.waitForExit()).toBe(0);
    });

    it('reports a wrong password as an auth failure after one fresh challenge, never a loop', async () => {
      const peer = await startSipp({ scenario: 'uas-wrong-password.xml' });
      const sip = await start();
      const failure = await failureOf(
        sip.invite({
          trunk: trunkFor(peer, { password: 'wrong' }),
          uri: 'sip:100@carrier.test',
          sdp: SDP,
          ringTimeoutMs: 5000,
        }),
      );
      expect(failure.status).toBe(401);
      expect(failure.phase).toBe('auth');
      await peer.waitForExit();
      expect(received(await peer.messages(), 'INVITE')).toHaveLength(2);
    });

    it.each([
      ['uas-reject-404.xml', 404],
      ['uas-reject-486.xml', 486],
      ['uas-reject-480.xml', 480],
      ['uas-reject-603.xml', 603],
    ])('reports %s as a SipFailure with the status and ACKs it', async (scenario, status) => {
      const peer = await startSipp({ scenario });
      const sip = await start();
      const failure = await failureOf(
        sip.invite({ trunk: trunkFor(peer), uri: 'sip:100@carrier.test', sdp: SDP, ringTimeoutMs: 5000 }),
      );
      expect(failure.status).toBe(status);
      expect(failure.local).toBe(false);
      expect(await peer.waitForExit()).toBe(0);
      expect(received(await peer.messages(), 'ACK')).toHaveLength(1);
    });

    it('reads Retry-After from a 503', async () => {
      const peer = await startSipp({ scenario: 'uas-reject-503.xml' });
      const sip = await start();
      const failure = await failureOf(
        sip.invite({ trunk: trunkFor(peer), uri: 'sip:100@carrier.test', sdp: SDP, ringTimeoutMs: 5000 }),
      );
      expect(failure.status).toBe(503);
      expect(failure.retryAfterMs).toBe(30_000);
      expect(failure.headers['retry-after']).toBeDefined();
    });

    it('sends CANCEL on ring timeout after the 180, and reports 487 with the cause', async () => {
      const peer = await startSipp({ scenario: 'uas-ring-no-answer.xml' });
      const sip = await start();
      const failure = await failureOf(
        sip.invite({ trunk: trunkFor(peer), uri: 'sip:100@carrier.test', sdp: SDP, ringTimeoutMs: 300 }),
      );
      expect(failure.status).toBe(487);
      expect(failure.phase).toBe('ringing');
      expect(failure.cancelCause).toBe('ring-timeout');
      expect(await peer.waitForExit()).toBe(0);
      const wire = await peer.messages();
      expect(received(wire, 'CANCEL')).toHaveLength(1);
      expect(received(wire, 'ACK')).toHaveLength(1);
    });

    it('sends CANCEL when the caller aborts', async () => {
      const peer = await startSipp({ scenario: 'uas-ring-no-answer.xml' });
      const sip = await start();
      const controller = new AbortController();
      const call = sip.invite({
        trunk: trunkFor(peer),
        uri: 'sip:100@carrier.test',
        sdp: SDP,
        ringTimeoutMs: 10_000,
        signal: controller.signal,
        onProvisional: (p) => {
          if (p.status === 180) controller.abort();
        },
      });
      const failure = await failureOf(call);
      expect(failure.status).toBe(487);
      expect(failure.cancelCause).toBe('aborted');
      expect(await peer.waitForExit()).toBe(0);
    });

    it('ACKs and hangs up a 200 that crosses the CANCEL', async () => {
      const peer = await startSipp({ scenario: 'uas-200-crosses-cancel.xml' });
      const sip = await start();
      const failure = await failureOf(
        sip.invite({ trunk: trunkFor(peer), uri: 'sip:100@carrier.test', sdp: SDP, ringTimeoutMs: 300 }),
      );
      expect(failure.status).toBe(487);
      expect(failure.cancelCause).toBe('ring-timeout');
      expect(await peer.waitForExit()).toBe(0);
      const wire = await peer.messages();
      expect(received(wire, 'ACK')).toHaveLength(1);
      expect(received(wire, 'BYE')).toHaveLength(1);
    });

    it('reports a BYE from the far end on the ended event', async () => {
      const peer = await startSipp({ scenario: 'uas-answer-then-bye.xml', vars: { hold_ms: '200' } });
      const sip = await start();
      const leg = await sip.invite({
        trunk: trunkFor(peer),
        uri: 'sip:100@carrier.test',
        sdp: SDP,
        ringTimeoutMs: 5000,
      });
      const end = await endedOf(leg);
      expect(end.by).toBe('remote');
      expect(end.reason).toBe('bye');
      expect(await peer.waitForExit()).toBe(0);
    });

    it('answers a re-INVITE and an in-dialog OPTIONS from the far end with the current SDP', async () => {
      const peer = await startSipp({ scenario: 'uas-reinvite.xml' });
      const sip = await start();
      const leg = await sip.invite({
        trunk: trunkFor(peer),
        uri: 'sip:100@carrier.test',
        sdp: SDP,
        ringTimeoutMs: 5000,
      });
      const end = await endedOf(leg);
      expect(end.by).toBe('remote');
      expect(await peer.waitForExit()).toBe(0);
      const wire = await peer.messages();
      const okToReinvite = wire.find(
        (m) => m.direction === 'received' && m.status === 200 && /INVITE/.test(m.headers['cseq'] ?? ''),
      );
      expect(okToReinvite?.body.trimEnd()).toBe(SDP.trimEnd());
      const okToOptions = wire.find(
        (m) => m.direction === 'received' && m.status === 200 && /OPTIONS/.test(m.headers['cseq'] ?? ''),
      );
      expect(okToOptions).toBeDefined();
    });

    it('retransmits an INVITE the network lost (Timer A)', async () => {
      const peer = await startSipp({ scenario: 'uas-drop-first-invite.xml' });
      const sip = await start('udp', 100);
      const leg = await sip.invite({
        trunk: trunkFor(peer),
        uri: 'sip:100@carrier.test',
        sdp: SDP,
        ringTimeoutMs: 5000,
      });
      await leg.hangup();
      expect(await peer.waitForExit()).toBe(0);
      const invites = received(await peer.messages(), 'INVITE');
      expect(invites.length).toBeGreaterThanOrEqual(2);
      expect(invites[1]?.headers['via']).toBe(invites[0]?.headers['via']);
    });

    it('times out with a local 408 when nothing answers (Timer B)', async ({ skip }) => {
      skip(
        underTest.name === 'drachtio',
        "T1 and the INVITE retransmissions are drachtio-server's (its config, 500 ms); t1Ms only bounds the engine's own wait (64·T1)",
      );
      const sip = await start('udp', 20);
      // A bound socket that never answers: the INVITE is retransmitted until Timer B (64·T1).
      const { createSocket } = await import('node:dgram');
      const silent = createSocket('udp4');
      await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', () => resolve()));
      let seen = 0;
      silent.on('message', () => (seen += 1));
      try {
        const failure = await failureOf(
          sip.invite({
            trunk: { name: 'void', domain: 'carrier.test', proxy: `127.0.0.1:${silent.address().port}` },
            uri: 'sip:100@carrier.test',
            sdp: SDP,
            ringTimeoutMs: 60_000,
          }),
        );
        expect(failure.status).toBe(408);
        expect(failure.local).toBe(true);
        expect(failure.phase).toBe('transport');
        expect(seen).toBeGreaterThanOrEqual(6);
      } finally {
        silent.close();
      }
    });

    it('places a call over TCP', async () => {
      const peer = await startSipp({ scenario: 'uas-answer.xml', transport: 'tcp' });
      const sip = await start('tcp');
      const leg = await sip.invite({
        trunk: trunkFor(peer),
        uri: 'sip:100@carrier.test',
        sdp: SDP,
        ringTimeoutMs: 5000,
      });
      await leg.hangup();
      expect(await peer.waitForExit()).toBe(0);
      const [invite] = received(await peer.messages(), 'INVITE');
      expect(invite?.transport).toBe('TCP');
      expect(invite?.headers['via']).toMatch(/^SIP\/2\.0\/TCP /);
      expect(invite?.headers['contact']).toContain('transport=tcp');
    });

    it('answers challenges over TCP too', async () => {
      const peer = await startSipp({ scenario: 'uas-challenge-401.xml', transport: 'tcp' });
      const sip = await start('tcp');
      const leg = await sip.invite({
        trunk: trunkFor(peer),
        uri: 'sip:100@carrier.test',
        sdp: SDP,
        ringTimeoutMs: 5000,
      });
      await leg.hangup();
      expect(await peer.waitForExit()).toBe(0);
    });

    it('sends credentials up front on the second call: one INVITE, the cached nonce with a higher nc', async ({
      skip,
    }) => {
      skip(
        underTest.name === 'drachtio',
        'drachtio-srf keeps no nonce cache: every call is challenged, one more round trip per call',
      );
      const peer = await startSipp({ scenario: 'uas-two-calls-auth.xml', calls: 2 });
      const sip = await start();
      const first = await sip.invite({
        trunk: trunkFor(peer),
        uri: 'sip:100@carrier.test',
        sdp: SDP,
        ringTimeoutMs: 5000,
      });
      await first.hangup();
      const second = await sip.invite({
        trunk: trunkFor(peer),
        uri: 'sip:100@carrier.test',
        sdp: SDP,
        ringTimeoutMs: 5000,
      });
      await second.hangup();
      await peer.stop();
      const invites = received(await peer.messages(), 'INVITE');
      const ofFirst = invites.filter((m) => m.headers['call-id'] === first.callId);
      const ofSecond = invites.filter((m) => m.headers['call-id'] === second.callId);
      // What the engine controls: the second call's very first INVITE carries the cached nonce,
      // nc above the first call's (its BYE may have used nc=2, so 2 or 3).
      expect(ofFirst).toHaveLength(2);
      expect(ofSecond[0]?.headers['authorization']).toMatch(/nc=0000000[23]\b/);
      expect(ofSecond[0]?.headers['authorization']).toContain(
        /nonce="([^"]+)"/.exec(ofFirst[1]?.headers['authorization'] ?? '')?.[0],
      );
      // One INVITE when the carrier takes it. Under load this sipp scenario's global call counter
      // sometimes misfiles the second call as a first one and challenges it anyway (seen in CI
      // with the trace: credentials sent up front, 401 back); the engine then answers once more.
      expect(second.timings.invitesSent).toBe(ofSecond.length);
      expect(ofSecond.length === 1 || ofSecond[1]?.headers['authorization'] !== undefined).toBe(true);
    });

    it('registers with digest auth, refreshes on the granted expiry, and unregisters with Expires: 0', async () => {
      const peer = await startSipp({ scenario: 'uas-register.xml', vars: { expires: '2' } });
      const sip = await start();
      const registration = await sip.register(trunkFor(peer, { registerExpiresSec: 3600 }));
      expect(registration.status.state).toBe('registered');
      expect(registration.status.grantedExpiresSec).toBe(2);
      expect(registration.status.challenge).toMatch(/^401 realm="/);
      const refreshed = await new Promise<number>((resolve) => {
        let count = 0;
        registration.on('state', (s) => {
          if (s.state === 'registered' && ++count === 1) resolve(count);
        });
      });
      expect(refreshed).toBe(1);
      await registration.unregister();
      expect(await peer.waitForExit()).toBe(0);
      const registers = received(await peer.messages(), 'REGISTER');
      expect(registers.at(0)?.headers['expires']).toBe('3600');
      expect(registers.at(-1)?.headers['expires']).toBe('0');
      // One binding: the same Call-ID and a growing CSeq for its whole life.
      expect(new Set(registers.map((r) => r.headers['call-id'])).size).toBe(1);
      const cseqs = registers.map((r) => Number.parseInt(r.headers['cseq'] ?? '0', 10));
      expect(cseqs).toEqual([...cseqs].sort((a, b) => a - b));
    });

    it('REGISTER and INVITE leave from the address the Contact names', async () => {
      const registrar = await startSipp({ scenario: 'uas-register.xml', vars: { expires: '60' } });
      const callee = await startSipp({ scenario: 'uas-answer.xml' });
      const sip = await start();
      const registration = await sip.register(trunkFor(registrar));
      const leg = await sip.invite({
        trunk: trunkFor(callee),
        uri: 'sip:100@carrier.test',
        sdp: SDP,
        ringTimeoutMs: 5000,
      });
      await leg.hangup();
      await registration.unregister();
      await registrar.stop();
      const [register] = received(await registrar.messages(), 'REGISTER');
      const [invite] = received(await callee.messages(), 'INVITE');
      const sentBy = (v: string | undefined): string | undefined =>
        /SIP\/2\.0\/UDP ([^;]+)/.exec(v ?? '')?.[1];
      expect(sentBy(register?.headers['via'])).toBe(sentBy(invite?.headers['via']));
      expect(register?.headers['contact']).toContain(sentBy(invite?.headers['via']));
    });

    it('follows 423 Interval Too Brief with the Min-Expires asked for', async () => {
      const peer = await startSipp({ scenario: 'uas-register-423.xml' });
      const sip = await start();
      const registration = await sip.register(
        trunkFor(peer, { password: undefined, registerExpiresSec: 60 }),
      );
      expect(registration.status.grantedExpiresSec).toBe(3600);
      await registration.unregister();
      expect(await peer.waitForExit()).toBe(0);
      const registers = received(await peer.messages(), 'REGISTER');
      expect(registers[0]?.headers['expires']).toBe('60');
      expect(registers[1]?.headers['expires']).toBe('3600');
    });

    it('refuses compact forms of the headers it writes; the INVITE carries one Call-ID, Via, From, To, Contact, Content-Type', async () => {
      const peer = await startSipp({ scenario: 'uas-answer.xml' });
      const sip = await start();
      const evil = {
        i: 'evil@x',
        v: 'SIP/2.0/UDP 10.9.9.9',
        f: '<sip:a@x>',
        t: '<sip:b@x>',
        m: '<sip:c@x>',
        c: 'text/x',
      };
      for (const [name, value] of Object.entries(evil)) {
        await expect(
          sip.invite({
            trunk: trunkFor(peer),
            uri: 'sip:100@carrier.test',
            sdp: SDP,
            ringTimeoutMs: 5000,
            headers: { 'X-Campaign': 'a', [name]: value },
          }),
          name,
        ).rejects.toMatchObject({ code: 'SIP_INVALID_HEADER' });
      }
      const leg = await sip.invite({
        trunk: trunkFor(peer),
        uri: 'sip:100@carrier.test',
        sdp: SDP,
        ringTimeoutMs: 5000,
        headers: { 'X-Campaign': 'a' },
      });
      await leg.hangup();
      expect(await peer.waitForExit()).toBe(0);
      const invites = received(await peer.messages(), 'INVITE');
      expect(invites).toHaveLength(1);
      const COMPACT: Record<string, string> = {
        i: 'call-id',
        v: 'via',
        f: 'from',
        t: 'to',
        m: 'contact',
        c: 'content-type',
      };
      const names = (invites[0]?.raw ?? '')
        .split(/\r?\n\r?\n/)[0]
        ?.split(/\r?\n/)
        .slice(1)
        .map((line) => line.slice(0, line.indexOf(':')).trim().toLowerCase())
        .map((name) => COMPACT[name] ?? name);
      for (const owned of Object.values(COMPACT))
        expect(
          names?.filter((n) => n === owned),
          owned,
        ).toHaveLength(1);
      expect(invites[0]?.raw).not.toContain('10.9.9.9');
    });

    it('rejects an unusable header value before anything goes on the wire', async () => {
      const sip = await start();
      await expect(
        sip.invite({
          trunk: { name: 'x', domain: 'carrier.test', proxy: '127.0.0.1:9' },
          uri: 'sip:100@carrier.test',
          sdp: SDP,
          ringTimeoutMs: 1000,
          headers: { 'X-Campaign': 'a\r\nBYE sip:evil SIP/2.0' },
        }),
      ).rejects.toMatchObject({ code: 'SIP_INVALID_HEADER' });
    });
  });
}
