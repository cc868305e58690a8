import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedSipEngine } from '../../../src/sip/embedded/embedded-engine.js';
import { parseMessage, type SipRequest } from '../../../src/sip/embedded/message/index.js';
import type { DialogSnapshot } from '../../../src/sip/dialog-snapshot.js';
import { SipFailure } from '../../../src/sip/sip-failure.js';
import { reply, TEST_SDP as SDP } from '../../helpers/raw-sip.js';
import { waitFor } from '../../helpers/wait-for.js';

/**
 * A carrier on a real UDP socket that answers what the test tells it to, and records what it got
 * as `METHOD tag` (the To tag of in-dialog requests).
 */
async function carrierSocket(
  answer: (request: SipRequest) => string | undefined,
): Promise<{ socket: Socket; port: number; seen: string[]; invite: () => SipRequest | undefined }> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const seen: string[] = [];
  let invite: SipRequest | undefined;
  socket.on('message', (data, rinfo) => {
    const message = parseMessage(data);
    if (message.type !== 'request') return;
    const tag = /;tag=([^;>\s]+)/.exec(message.headers.get('To') ?? '')?.[1];
    seen.push(tag ? `${message.method} ${tag}` : message.method);
    if (message.method === 'INVITE') invite = message;
    // In-dialog requests are answered 200 so BYE transactions end.
    const text = message.method === 'BYE' ? reply(message, '200 OK', tag ?? 'x') : answer(message);
    // `PORT` in an answer's Contact stands for this socket's own port.
    if (text !== undefined)
      socket.send(
        text.replace('127.0.0.1:PORT', `127.0.0.1:${socket.address().port}`),
        rinfo.port,
        rinfo.address,
      );
  });
  return { socket, port: socket.address().port, seen, invite: () => invite };
}

describe('a 2xx for an INVITE the engine no longer waits for (RFC 3261 §13.2.2.4)', () => {
  let engine: EmbeddedSipEngine | undefined;
  afterEach(async () => {
    await engine?.close();
  });

  async function startEngine(): Promise<EmbeddedSipEngine> {
    engine = new EmbeddedSipEngine({
      listen: { host: '127.0.0.1', port: 0 },
      timers: { t1: 20, t2: 160, t4: 200 },
    });
    await engine.start();
    return engine;
  }

  // The chaos run's double dial: the callee picked up just as the INVITE was given up, the 2xx was
  // ignored, the carrier kept the call up while the number looked free, and the retry rang it again.
  it(
    'is ACKed and hung up when it comes after the CANCELled INVITE was given up',
    { timeout: 30_000 },
    async () => {
      const sip = await startEngine();
      const carrier = await carrierSocket((m) =>
        m.method === 'INVITE'
          ? reply(m, '180 Ringing', 'c1')
          : m.method === 'CANCEL'
            ? reply(m, '200 OK', 'c1')
            : undefined,
      );
      try {
        const error = await sip
          .invite({
            trunk: { name: 't', domain: 'carrier.test', proxy: `127.0.0.1:${carrier.port}` },
            uri: 'sip:1@carrier.test',
            sdp: SDP,
            ringTimeoutMs: 200,
          })
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        expect((error as SipFailure).status).toBe(487);
        expect((error as SipFailure).local).toBe(true);
        const invite = carrier.invite() as SipRequest;
        carrier.socket.send(
          reply(invite, '200 OK', 'c1', `sip:carrier@127.0.0.1:${carrier.port}`),
          sip.localPort,
          '127.0.0.1',
        );
        await waitFor(() => carrier.seen.includes('BYE c1'), { what: "carrier.seen.includes('BYE c1')" });
        expect(carrier.seen).toContain('ACK c1');
        expect(sip.stats.lateAnswersEnded).toBe(1);
        await waitFor(() => sip.stats.calls === 0, { what: 'sip.stats.calls === 0' });
      } finally {
        carrier.socket.close();
      }
    },
  );

  it('is ACKed and hung up when it comes after Timer B gave the INVITE up', { timeout: 30_000 }, async () => {
    const sip = await startEngine();
    // Says nothing at all to the INVITE, as a carrier whose answers are lost.
    const carrier = await carrierSocket(() => undefined);
    try {
      const error = await sip
        .invite({
          trunk: { name: 't', domain: 'carrier.test', proxy: `127.0.0.1:${carrier.port}` },
          uri: 'sip:1@carrier.test',
          sdp: SDP,
          ringTimeoutMs: 60_000,
        })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).toBeInstanceOf(SipFailure);
      expect((error as SipFailure).status).toBe(408);
      carrier.socket.send(
        reply(carrier.invite() as SipRequest, '200 OK', 'late', `sip:carrier@127.0.0.1:${carrier.port}`),
        sip.localPort,
        '127.0.0.1',
      );
      await waitFor(() => carrier.seen.includes('BYE late'), { what: "carrier.seen.includes('BYE late')" });
      expect(carrier.seen).toContain('ACK late');
    } finally {
      carrier.socket.close();
    }
  });

  it(
    'from a second fork is ACKed and hung up while the first fork’s call stays up',
    { timeout: 30_000 },
    async () => {
      const sip = await startEngine();
      const carrier = await carrierSocket((m) =>
        m.method === 'INVITE' ? reply(m, '200 OK', 'fork1', `sip:carrier@127.0.0.1:PORT`) : undefined,
      );
      try {
        const leg = await sip.invite({
          trunk: { name: 't', domain: 'carrier.test', proxy: `127.0.0.1:${carrier.port}` },
          uri: 'sip:1@carrier.test',
          sdp: SDP,
          ringTimeoutMs: 5_000,
        });
        carrier.socket.send(
          reply(carrier.invite() as SipRequest, '200 OK', 'fork2', `sip:carrier@127.0.0.1:${carrier.port}`),
          sip.localPort,
          '127.0.0.1',
        );
        await waitFor(() => carrier.seen.includes('BYE fork2'), {
          what: "carrier.seen.includes('BYE fork2')",
        });
        expect(carrier.seen).toContain('ACK fork2');
        expect(leg.end).toBeUndefined();
        expect(carrier.seen).not.toContain('BYE fork1');
      } finally {
        carrier.socket.close();
      }
    },
  );

  // A worker died just as the callee answered: it had registered only the ringing dialog, so the
  // one that took its calls over CANCELs it. Restarted on the dead one's address, that worker is
  // where the carrier's 200 retransmissions arrive: ended and reported, the person is not rung again.
  it(
    "is ACKed and hung up when it answers an orphan's INVITE another process CANCELled, and the answer is reported",
    { timeout: 30_000 },
    async () => {
      const sip = await startEngine();
      let answered = 0;
      const carrier = await carrierSocket((m) =>
        m.method === 'CANCEL' ? reply(m, '200 OK', 'c1') : undefined,
      );
      try {
        const callId = 'orphan-call@127.0.0.1';
        const via = `SIP/2.0/UDP 127.0.0.1:${sip.localPort};branch=z9hG4bKdeadworker1`;
        const snapshot: DialogSnapshot = {
          v: 1,
          state: 'early',
          trunk: 't',
          callId,
          localParty: '<sip:dialer@127.0.0.1>;tag=deadtag',
          remoteParty: '<sip:1@carrier.test>',
          requestUri: 'sip:1@carrier.test',
          inviteCSeq: 1,
          inviteVia: via,
          inviteRoutes: [],
          localCSeq: 1,
          transport: 'udp',
          peer: { address: '127.0.0.1', port: carrier.port },
          at: Date.now(),
        };
        const trunk = { name: 't', domain: 'carrier.test', proxy: `127.0.0.1:${carrier.port}` };
        const end = await sip.endOrphanDialog(snapshot, trunk, { onAnswered: () => void answered++ });
        expect(end.method).toBe('CANCEL');
        expect(carrier.seen).toContain('CANCEL');
        // The INVITE had been answered: the carrier retransmits its 200 to the INVITE's Via.
        const invite = parseMessage(
          Buffer.from(
            `INVITE sip:1@carrier.test SIP/2.0\r\nVia: ${via}\r\nFrom: ${snapshot.localParty}\r\n` +
              `To: ${snapshot.remoteParty}\r\nCall-ID: ${callId}\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n`,
          ),
        ) as SipRequest;
        const ok = reply(invite, '200 OK', 'c1', `sip:carrier@127.0.0.1:${carrier.port}`);
        for (let i = 0; i < 2; i++) carrier.socket.send(ok, sip.localPort, '127.0.0.1');
        await waitFor(() => carrier.seen.includes('BYE c1') && answered === 1, {
          what: 'the late 200 ACKed, hung up with BYE, and reported',
        });
        expect(carrier.seen.filter((m) => m === 'ACK c1').length).toBeGreaterThanOrEqual(1);
        // Its retransmission is ended once, not twice.
        expect(carrier.seen.filter((m) => m === 'BYE c1')).toHaveLength(1);
        expect(answered).toBe(1);
      } finally {
        carrier.socket.close();
      }
    },
  );
});
