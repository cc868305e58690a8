import { createSocket, type Socket } from 'node:dgram';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedSipEngine } from '../../../src/sip/embedded/embedded-engine.js';
import { startSipp } from '../../helpers/sipp.js';
import { waitFor } from '../../helpers/wait-for.js';

const SDP =
  'v=0\r\no=- 1 0 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n';

function sendUdp(socket: Socket, port: number, data: Buffer | string): Promise<void> {
  return new Promise((resolve, reject) =>
    socket.send(data, port, '127.0.0.1', (error) => (error ? reject(error) : resolve())),
  );
}

describe('a hostile peer cannot take the engine down', () => {
  let engine: EmbeddedSipEngine | undefined;
  afterEach(async () => {
    await engine?.close();
    engine = undefined;
  });

  it('counts and drops garbage, oversized and unmatched messages, then still places calls', async () => {
    engine = new EmbeddedSipEngine({ listen: { host: '127.0.0.1', port: 0 } });
    await engine.start();
    const port = engine.localPort;
    const attacker = createSocket('udp4');
    await new Promise<void>((resolve) => attacker.bind(0, '127.0.0.1', () => resolve()));
    try {
      await sendUdp(attacker, port, Buffer.from([0xde, 0xad, 0xbe, 0xef]));
      await sendUdp(attacker, port, 'INVITE sip:x SIP/2.0\r\nVia: nonsense\r\n\r\n');
      await sendUdp(attacker, port, `OPTIONS sip:a@b SIP/2.0\r\nX: ${'a'.repeat(65_000)}\r\n\r\n`);
      await sendUdp(
        attacker,
        port,
        'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bKnothing\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: ghost\r\nCSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n',
      );
      for (let i = 0; i < 200; i++) {
        await sendUdp(
          attacker,
          port,
          `SIP/2.0 100 Trying\r\nVia: SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bKflood${i}\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: flood${i}\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n`,
        );
      }
      await waitFor(() => engine!.stats.malformed >= 2 && engine!.stats.strayResponses >= 201, {
        what: 'engine!.stats.malformed >= 2 && engine!.stats.strayResponses >= 201',
      });
    } finally {
      attacker.close();
    }

    const peer = await startSipp({ scenario: 'uas-answer.xml' });
    const leg = await engine.invite({
      trunk: { name: 't', domain: 'carrier.test', proxy: peer.uri },
      uri: 'sip:1@carrier.test',
      sdp: SDP,
      ringTimeoutMs: 5000,
    });
    await leg.hangup();
    expect(await peer.waitForExit()).toBe(0);
  });

  it('closes a TCP connection that sends a message without Content-Length, and keeps listening', async () => {
    engine = new EmbeddedSipEngine({ listen: { host: '127.0.0.1', port: 0 }, transport: 'tcp' });
    await engine.start();
    const socket = connect(engine.localPort, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write(
      'OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:1;branch=z9hG4bKx\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n\r\n',
    );
    await closed;
    expect(engine.stats.malformed).toBeGreaterThanOrEqual(1);

    const peer = await startSipp({ scenario: 'uas-answer.xml', transport: 'tcp' });
    const leg = await engine.invite({
      trunk: { name: 't', domain: 'carrier.test', proxy: peer.uri, transport: 'tcp' },
      uri: 'sip:1@carrier.test',
      sdp: SDP,
      ringTimeoutMs: 5000,
    });
    await leg.hangup();
    expect(await peer.waitForExit()).toBe(0);
  });

  it('answers an out-of-dialog OPTIONS ping with 200 and refuses an inbound INVITE', async () => {
    engine = new EmbeddedSipEngine({ listen: { host: '127.0.0.1', port: 0 } });
    await engine.start();
    const peer = createSocket('udp4');
    await new Promise<void>((resolve) => peer.bind(0, '127.0.0.1', () => resolve()));
    const replies: string[] = [];
    peer.on('message', (m) => replies.push(m.toString().split('\r\n')[0] ?? ''));
    const headers = (method: string, n: number): string =>
      `${method} sip:dialer@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${peer.address().port};branch=z9hG4bKping${n}\r\nFrom: <sip:carrier@b>;tag=9\r\nTo: <sip:dialer@127.0.0.1>\r\nCall-ID: ping${n}\r\nCSeq: 1 ${method}\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`;
    try {
      await sendUdp(peer, engine.localPort, headers('OPTIONS', 1));
      await sendUdp(peer, engine.localPort, headers('INVITE', 2));
      await waitFor(() => replies.length >= 2, { what: 'replies.length >= 2' });
      expect(replies).toContain('SIP/2.0 200 OK');
      expect(replies.some((r) => /^SIP\/2\.0 4\d\d/.test(r))).toBe(true);
    } finally {
      peer.close();
    }
  });
});
