import { createSocket, type Socket } from 'node:dgram';
import { connect, type Socket as TcpSocket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedSipEngine } from '../../../src/sip/embedded/embedded-engine.js';
import { parseMessage, type SipMessage, type SipRequest } from '../../../src/sip/embedded/message/index.js';
import { reply, TEST_SDP as SDP } from '../../helpers/raw-sip.js';
import { waitFor } from '../../helpers/wait-for.js';

/** A BYE for the dialog of `invite` (answered with To tag `toTag`), as the far end would send it. */
function byeFor(invite: SipRequest, toTag: string, viaPort: number, branch: string): string {
  const h = invite.headers;
  return `BYE sip:dialer@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${viaPort};branch=z9hG4bK${branch}\r\nMax-Forwards: 70\r\nFrom: ${h.get('To')};tag=${toTag}\r\nTo: ${h.get('From')}\r\nCall-ID: ${h.get('Call-ID')}\r\nCSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n`;
}

interface Peer {
  readonly socket: Socket;
  readonly port: number;
  /** Everything the engine sent this socket. */
  readonly got: SipMessage[];
  send(text: string, port: number): void;
}

async function udpPeer(answer: (request: SipRequest) => string | undefined = () => undefined): Promise<Peer> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const port = socket.address().port;
  const got: SipMessage[] = [];
  socket.on('message', (data, rinfo) => {
    const message = parseMessage(data);
    got.push(message);
    if (message.type !== 'request') return;
    const tag = /;tag=([^;>\s]+)/.exec(message.headers.get('To') ?? '')?.[1];
    const text = message.method === 'BYE' ? reply(message, '200 OK', tag ?? 'x') : answer(message);
    if (text !== undefined)
      socket.send(text.replace('127.0.0.1:PORT', `127.0.0.1:${port}`), rinfo.port, rinfo.address);
  });
  return { socket, port, got, send: (text, to) => socket.send(text, to, '127.0.0.1') };
}

const responses = (peer: Peer): Array<SipMessage & { type: 'response' }> =>
  peer.got.filter((m): m is SipMessage & { type: 'response' } => m.type === 'response');
const requests = (peer: Peer): SipRequest[] => peer.got.filter((m): m is SipRequest => m.type === 'request');

describe('messages from an address that is not the peer they claim to belong to', () => {
  let engine: EmbeddedSipEngine | undefined;
  const sockets: Socket[] = [];
  afterEach(async () => {
    await engine?.close();
    engine = undefined;
    for (const s of sockets.splice(0)) s.close();
  });

  async function startEngine(options: Partial<ConstructorParameters<typeof EmbeddedSipEngine>[0]> = {}) {
    engine = new EmbeddedSipEngine({
      listen: { host: '127.0.0.1', port: 0 },
      userAgent: 'dialer-under-test/9',
      ...options,
    });
    await engine.start();
    return engine;
  }

  async function peers(
    answer?: (request: SipRequest) => string | undefined,
  ): Promise<{ carrier: Peer; spoofer: Peer }> {
    const carrier = await udpPeer(answer);
    const spoofer = await udpPeer();
    sockets.push(carrier.socket, spoofer.socket);
    return { carrier, spoofer };
  }

  it(
    'a forged 200 OK for a ringing INVITE is dropped and the real answer still wins',
    { timeout: 30_000 },
    async () => {
      const sip = await startEngine();
      const { carrier, spoofer } = await peers((m) =>
        m.method === 'INVITE' ? reply(m, '180 Ringing', 'real') : undefined,
      );
      const answered = sip.invite({
        trunk: { name: 't', domain: 'carrier.test', proxy: `127.0.0.1:${carrier.port}` },
        uri: 'sip:1@carrier.test',
        sdp: SDP,
        ringTimeoutMs: 20_000,
      });
      await waitFor(() => requests(carrier).some((r) => r.method === 'INVITE'), {
        what: 'the INVITE at the carrier',
      });
      const invite = requests(carrier).find((r) => r.method === 'INVITE') as SipRequest;
      spoofer.send(
        reply(invite, '200 OK', 'forged', `sip:attacker@127.0.0.1:${spoofer.port}`),
        sip.localPort,
      );
      await waitFor(() => sip.securityStats.spoofed.response === 1, { what: 'the forged 200 counted' });
      carrier.send(reply(invite, '200 OK', 'real', `sip:carrier@127.0.0.1:${carrier.port}`), sip.localPort);
      const leg = await answered;
      const ack = await waitFor(() => requests(carrier).find((r) => r.method === 'ACK'), {
        what: 'the ACK at the carrier',
      });
      // The dialog is the carrier's: its To tag, not the forger's.
      expect(ack.headers.get('To')).toContain('tag=real');
      // Nothing went to the attacker's Contact: no ACK, no BYE.
      expect(spoofer.got).toHaveLength(0);
      await leg.hangup();
    },
  );

  it(
    'a BYE from a stranger gets 403 and the call stays up; the carrier’s BYE ends it',
    { timeout: 30_000 },
    async () => {
      const sip = await startEngine();
      const { carrier, spoofer } = await peers((m) =>
        m.method === 'INVITE' ? reply(m, '200 OK', 'c1', 'sip:carrier@127.0.0.1:PORT') : undefined,
      );
      const leg = await sip.invite({
        trunk: { name: 't', domain: 'carrier.test', proxy: `127.0.0.1:${carrier.port}` },
        uri: 'sip:1@carrier.test',
        sdp: SDP,
        ringTimeoutMs: 5_000,
      });
      const invite = requests(carrier).find((r) => r.method === 'INVITE') as SipRequest;
      let ended = false;
      leg.once('ended', () => (ended = true));
      spoofer.send(byeFor(invite, 'c1', spoofer.port, 'spoof1'), sip.localPort);
      await waitFor(() => responses(spoofer).length === 1, { what: 'the answer to the forged BYE' });
      expect(responses(spoofer)[0]?.status).toBe(403);
      // Strangers are not told what runs here.
      expect(responses(spoofer)[0]?.headers.get('User-Agent')).toBeUndefined();
      expect(sip.securityStats.spoofed.request).toBe(1);
      expect(ended).toBe(false);
      expect(sip.stats.calls).toBe(1);
      carrier.send(byeFor(invite, 'c1', carrier.port, 'real1'), sip.localPort);
      await waitFor(() => ended, { what: 'the call ended by the carrier’s BYE' });
      expect(responses(carrier).some((r) => r.status === 200)).toBe(true);
    },
  );

  it(
    'an UPDATE on an early dialog from a stranger gets 403; the carrier’s gets 200',
    { timeout: 30_000 },
    async () => {
      const sip = await startEngine();
      const { carrier, spoofer } = await peers((m) =>
        m.method === 'INVITE' ? reply(m, '180 Ringing', 'e1', 'sip:carrier@127.0.0.1:PORT') : undefined,
      );
      const abort = new AbortController();
      let rang = false;
      const ringing = sip.invite({
        trunk: { name: 't', domain: 'carrier.test', proxy: `127.0.0.1:${carrier.port}` },
        uri: 'sip:1@carrier.test',
        sdp: SDP,
        ringTimeoutMs: 20_000,
        signal: abort.signal,
        onProvisional: () => (rang = true),
      });
      const settled = ringing.catch((error: unknown) => error);
      const invite = await waitFor(() => requests(carrier).find((r) => r.method === 'INVITE'), {
        what: 'the INVITE at the carrier',
      });
      await waitFor(() => rang, { what: 'the 180 taken: the early dialog exists' });
      const updateFor = (viaPort: number, branch: string, cseq: number): string =>
        byeFor(invite, 'e1', viaPort, branch)
          .replace(/^BYE /, 'UPDATE ')
          .replace('CSeq: 1 BYE', `CSeq: ${cseq} UPDATE`);
      spoofer.send(updateFor(spoofer.port, 'spoofu1', 1), sip.localPort);
      await waitFor(() => responses(spoofer).length === 1, { what: 'the answer to the forged UPDATE' });
      expect(responses(spoofer)[0]?.status).toBe(403);
      expect(sip.securityStats.spoofed.request).toBe(1);
      carrier.send(updateFor(carrier.port, 'realu1', 2), sip.localPort);
      await waitFor(() => responses(carrier).some((r) => r.headers.get('CSeq') === '2 UPDATE'), {
        what: 'the answer to the carrier’s UPDATE',
      });
      expect(responses(carrier).find((r) => r.headers.get('CSeq') === '2 UPDATE')?.status).toBe(200);
      abort.abort();
      const cancel = await waitFor(() => requests(carrier).find((r) => r.method === 'CANCEL'), {
        what: 'the CANCEL at the carrier',
      });
      carrier.send(reply(cancel, '200 OK', 'e1'), sip.localPort);
      carrier.send(reply(invite, '487 Request Terminated', 'e1'), sip.localPort);
      expect(await settled).toMatchObject({ status: 487 });
    },
  );

  it(
    'out-of-dialog OPTIONS: a stranger gets no product or version; the carrier does',
    { timeout: 30_000 },
    async () => {
      const sip = await startEngine();
      const { carrier, spoofer } = await peers((m) =>
        m.method === 'INVITE' ? reply(m, '486 Busy Here', 'b1') : undefined,
      );
      // One call makes the engine resolve (and so know) the trunk's address.
      await sip
        .invite({
          trunk: { name: 't', domain: 'carrier.test', proxy: `127.0.0.1:${carrier.port}` },
          uri: 'sip:1@carrier.test',
          sdp: SDP,
          ringTimeoutMs: 5_000,
        })
        .catch(() => undefined);
      const options = (port: number, branch: string): string =>
        `OPTIONS sip:dialer@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK${branch}\r\nMax-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag=p\r\nTo: <sip:dialer@127.0.0.1>\r\nCall-ID: ${branch}@probe\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`;
      spoofer.send(options(spoofer.port, 'scan1'), sip.localPort);
      carrier.send(options(carrier.port, 'ping1'), sip.localPort);
      await waitFor(
        () =>
          responses(spoofer).length === 1 &&
          responses(carrier).some((r) => r.headers.get('CSeq') === '1 OPTIONS'),
        {
          what: 'both OPTIONS answered',
        },
      );
      const toStranger = responses(spoofer)[0];
      const toCarrier = responses(carrier).find((r) => r.headers.get('CSeq') === '1 OPTIONS');
      expect(toStranger?.status).toBe(200);
      expect(toStranger?.headers.get('User-Agent')).toBeUndefined();
      expect(toStranger?.headers.get('Server')).toBeUndefined();
      expect(toCarrier?.headers.get('User-Agent')).toBe('dialer-under-test/9');
    },
  );

  it(
    'inbound TCP: a half-sent message is closed when idle, and one address holds at most its cap',
    { timeout: 30_000 },
    async () => {
      const sip = await startEngine({
        tcpLimits: { idleTimeoutMs: 300, maxConnectionsPerAddress: 2, maxConnections: 100 },
      });
      const open = async (): Promise<{ socket: TcpSocket; closed: Promise<void> }> => {
        const socket = connect(sip.localPort, '127.0.0.1');
        socket.on('error', () => undefined);
        const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
        await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
        return { socket, closed };
      };
      const half = await open();
      half.socket.write(
        'INVITE sip:1@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:1;branch=z9hG4bKhalf\r\n',
      );
      await half.closed;
      await waitFor(() => sip.securityStats.tcpClosed.idle === 1, { what: 'the idle close counted' });

      const first = await open();
      const second = await open();
      const third = await open();
      await third.closed;
      await waitFor(() => sip.securityStats.tcpClosed['per-address'] === 1, {
        what: 'the per-address close counted',
      });
      expect(first.socket.destroyed).toBe(false);
      expect(second.socket.destroyed).toBe(false);
      first.socket.destroy();
      second.socket.destroy();
    },
  );
});
