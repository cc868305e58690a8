import { afterEach, describe, expect, it } from 'vitest';
import type { ProvisionalInfo } from '../../../src/sip/engine.js';
import type { EmbeddedSipEngine } from '../../../src/sip/embedded/embedded-engine.js';
import { startSipp, type WireMessage } from '../../helpers/sipp.js';
import { failureOf, received, SDP, trunkFor } from './conformance-helpers.js';
import { embeddedEngine } from './engines-under-test.js';

/**
 * PRACK transactions sipp saw: a PRACK that reached sipp while it was still sending is lost to it
 * and comes again at T1 (Timer E), the same transaction, so count branches, not messages.
 */
function prackTransactions(wire: WireMessage[]): Set<string> {
  return new Set(
    received(wire, 'PRACK').map((m) => /branch=([^;\s,]+)/.exec(m.headers['via'] ?? '')?.[1] ?? ''),
  );
}

/** The CSeq number of a message as sipp logged it. */
function cseqOf(message: WireMessage | undefined): number {
  return Number.parseInt(message?.headers['cseq'] ?? 'NaN', 10);
}

describe('reliable provisionals (RFC 3262) and early UPDATE (RFC 3311): embedded', () => {
  let engine: EmbeddedSipEngine | undefined;

  afterEach(async () => {
    await engine?.close();
    engine = undefined;
  });

  async function start(): Promise<EmbeddedSipEngine> {
    engine = (await embeddedEngine.create({ transport: 'udp' })) as EmbeddedSipEngine;
    return engine;
  }

  it('PRACKs a 183 that requires 100rel, plays its early media and is answered', async () => {
    const peer = await startSipp({ scenario: 'uas-183-100rel.xml' });
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
    expect(provisional[0]?.sdp).toContain('m=audio');
    expect(leg.remoteSdp).toContain('m=audio');
    await leg.hangup();
    // sipp fails the call on a missing PRACK (its 183 retransmissions run out) or a second one.
    expect(await peer.waitForExit(), await peer.errors()).toBe(0);

    const wire = await peer.messages();
    const [invite] = received(wire, 'INVITE');
    expect(prackTransactions(wire).size).toBe(1);
    const [prack] = received(wire, 'PRACK');
    expect(invite?.headerValues['supported']).toHaveLength(1);
    expect(invite?.headers['supported']).toMatch(/\b100rel\b/);
    expect(invite?.headers['supported']).toMatch(/\btimer\b/);
    expect(prack?.headers['rack']?.trim()).toBe(`1 ${cseqOf(invite)} INVITE`);
    expect(prack?.headers['call-id']).toBe(invite?.headers['call-id']);
    // In the early dialog: the 183's To tag, sent to its Contact, with a CSeq of its own.
    expect(prack?.headers['to']).toMatch(/;\s*tag=\S+/);
    expect(prack?.requestUri).toMatch(/^sip:sipp@127\.0\.0\.1:\d+/);
    expect(cseqOf(prack)).toBeGreaterThan(cseqOf(invite));
    // The confirmed dialog goes on from the PRACK's CSeq (RFC 3261 §12.2.1.1).
    const [bye] = received(wire, 'BYE');
    expect(cseqOf(bye)).toBeGreaterThan(cseqOf(prack));
  });

  it('PRACKs a retransmitted 183 once and reports its early media once', async () => {
    const peer = await startSipp({ scenario: 'uas-183-100rel-retransmit.xml' });
    const sip = await start();
    const provisional: ProvisionalInfo[] = [];
    const leg = await sip.invite({
      trunk: trunkFor(peer),
      uri: 'sip:5534984149880@carrier.test',
      sdp: SDP,
      ringTimeoutMs: 5000,
      onProvisional: (p) => provisional.push(p),
    });
    await leg.hangup();
    expect(await peer.waitForExit(), await peer.errors()).toBe(0);
    const wire = await peer.messages();
    expect(wire.filter((m) => m.direction === 'sent' && m.status === 183)).toHaveLength(2);
    expect(prackTransactions(wire).size).toBe(1);
    expect(provisional.filter((p) => p.sdp !== undefined)).toHaveLength(1);
  });

  it('PRACKs a reliable 180 and still reports the 486 that follows as busy', async () => {
    const peer = await startSipp({ scenario: 'uas-180-100rel-486.xml' });
    const sip = await start();
    const failure = await failureOf(
      sip.invite({
        trunk: trunkFor(peer),
        uri: 'sip:5534984149880@carrier.test',
        sdp: SDP,
        ringTimeoutMs: 5000,
      }),
    );
    expect(failure.status).toBe(486);
    expect(failure.phase).toBe('ringing');
    expect(failure.local).toBe(false);
    expect(await peer.waitForExit(), await peer.errors()).toBe(0);
    expect(prackTransactions(await peer.messages()).size).toBe(1);
  });

  it('answers an UPDATE before the answer: 200 without SDP, 488 for an offer it cannot follow', async () => {
    const peer = await startSipp({ scenario: 'uas-early-update.xml' });
    const sip = await start();
    const leg = await sip.invite({
      trunk: trunkFor(peer),
      uri: 'sip:5534984149880@carrier.test',
      sdp: SDP,
      ringTimeoutMs: 5000,
    });
    await leg.hangup();
    // sipp expects exactly 200 then 488 to its two UPDATEs, and fails the call otherwise.
    expect(await peer.waitForExit(), await peer.errors()).toBe(0);
    const wire = await peer.messages();
    const answers = wire.filter((m) => m.direction === 'received' && m.status !== undefined);
    expect(answers.map((m) => m.status)).toEqual([200, 488]);
  });

  it('CANCELs a call whose provisional requires an extension it lacks, and says which', async () => {
    const peer = await startSipp({ scenario: 'uas-183-require-unknown.xml' });
    const sip = await start();
    const provisional: ProvisionalInfo[] = [];
    const failure = await failureOf(
      sip.invite({
        trunk: trunkFor(peer),
        uri: 'sip:5534984149880@carrier.test',
        sdp: SDP,
        ringTimeoutMs: 10_000,
        onProvisional: (p) => provisional.push(p),
      }),
    );
    expect(failure.status).toBe(420);
    expect(failure.reason).toMatch(/precondition/);
    expect(failure.local).toBe(true);
    // Its early media is not for us: the session it describes needs what we cannot do.
    expect(provisional).toHaveLength(0);
    expect(await peer.waitForExit(), await peer.errors()).toBe(0);
    const wire = await peer.messages();
    expect(received(wire, 'CANCEL')).toHaveLength(1);
    expect(received(wire, 'PRACK')).toHaveLength(0);
  });

  it('PRACKs each fork on its own early dialog and ignores an out-of-order RSeq', async () => {
    const peer = await startSipp({ scenario: 'uas-100rel-forks.xml' });
    const sip = await start();
    const provisional: ProvisionalInfo[] = [];
    const leg = await sip.invite({
      trunk: trunkFor(peer),
      uri: 'sip:5534984149880@carrier.test',
      sdp: SDP,
      ringTimeoutMs: 5000,
      onProvisional: (p) => provisional.push(p),
    });
    await leg.hangup();
    // sipp checks each PRACK's To tag: one for RSeq 3 would reach it first and fail the call.
    expect(await peer.waitForExit(), await peer.errors()).toBe(0);
    const wire = await peer.messages();
    expect(prackTransactions(wire).size).toBe(2);
    const forks = new Set(
      received(wire, 'PRACK').map((m) => /tag=([^;\s]+)/.exec(m.headers['to'] ?? '')?.[1]),
    );
    expect(forks.size).toBe(2);
    expect(provisional.map((p) => p.status)).toEqual([183, 180]);
  });

  it('answers a digest challenge to its PRACK with the trunk credentials', async () => {
    const peer = await startSipp({ scenario: 'uas-prack-challenge.xml' });
    const sip = await start();
    const leg = await sip.invite({
      trunk: trunkFor(peer),
      uri: 'sip:5534984149880@carrier.test',
      sdp: SDP,
      ringTimeoutMs: 5000,
    });
    await leg.hangup();
    // sipp verifies the second PRACK's Authorization and fails the call when it is wrong.
    expect(await peer.waitForExit(), await peer.errors()).toBe(0);
    const pracks = received(await peer.messages(), 'PRACK');
    expect(pracks).toHaveLength(2);
    expect(pracks[1]?.headers['authorization']).toMatch(/^Digest /);
    expect(cseqOf(pracks[1])).toBeGreaterThan(cseqOf(pracks[0]));
  });
});
