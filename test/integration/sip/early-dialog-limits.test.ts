import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedSipEngine } from '../../../src/sip/embedded/embedded-engine.js';
import { MAX_EARLY_DIALOGS } from '../../../src/sip/embedded/early-dialogs.js';
import { parseMessage, type SipMessage } from '../../../src/sip/embedded/message/index.js';
import type { ProvisionalInfo } from '../../../src/sip/engine.js';
import { reply, TEST_SDP as SDP } from '../../helpers/raw-sip.js';
import { waitFor } from '../../helpers/wait-for.js';

/** A hand-driven SIP peer on a real UDP socket that keeps every message it receives. */
interface RawPeer {
  readonly socket: Socket;
  readonly port: number;
  readonly got: SipMessage[];
  send(text: string, port: number): void;
  requests(method: string): Array<Extract<SipMessage, { type: 'request' }>>;
}

async function rawPeer(
  onRequest?: (peer: RawPeer, request: Extract<SipMessage, { type: 'request' }>) => void,
): Promise<RawPeer> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const peer: RawPeer = {
    socket,
    port: socket.address().port,
    got: [],
    send: (text, port) => socket.send(text, port, '127.0.0.1'),
    requests: (method) =>
      peer.got.filter(
        (m): m is Extract<SipMessage, { type: 'request' }> => m.type === 'request' && m.method === method,
      ),
  };
  socket.on('message', (data, rinfo) => {
    const message = parseMessage(data);
    peer.got.push(message);
    if (message.type !== 'request') return;
    // In-dialog requests (PRACK, BYE) are answered 200 so their transactions end.
    if (message.method === 'PRACK' || message.method === 'BYE') {
      const tag = /;tag=([^;>\s]+)/.exec(message.headers.get('To') ?? '')?.[1] ?? 'x';
      socket.send(
        reply(message, '200 OK', tag).replace(/;tag=[^;\s]+;tag=/, ';tag='),
        rinfo.port,
        rinfo.address,
      );
    }
    onRequest?.(peer, message);
  });
  return peer;
}

/** A provisional for `invite` from fork `tag`, reliable (RFC 3262) unless `rseq` is undefined. */
function provisional(
  invite: Extract<SipMessage, { type: 'request' }>,
  tag: string,
  options: { contactPort: number; rseq?: number; recordRoutePort?: number },
): string {
  const h = invite.headers;
  const reliable = options.rseq !== undefined ? `Require: 100rel\r\nRSeq: ${options.rseq}\r\n` : '';
  const rr =
    options.recordRoutePort !== undefined
      ? `Record-Route: <sip:127.0.0.1:${options.recordRoutePort};lr>\r\n`
      : '';
  return `SIP/2.0 183 Session Progress\r\nVia: ${h.get('Via')}\r\nFrom: ${h.get('From')}\r\nTo: ${h.get('To')};tag=${tag}\r\nCall-ID: ${h.get('Call-ID')}\r\nCSeq: ${h.get('CSeq')}\r\n${rr}Contact: <sip:fork@127.0.0.1:${options.contactPort}>\r\n${reliable}Content-Length: 0\r\n\r\n`;
}

function answer(invite: Extract<SipMessage, { type: 'request' }>, tag: string, contactPort: number): string {
  const h = invite.headers;
  const body = SDP;
  return `SIP/2.0 200 OK\r\nVia: ${h.get('Via')}\r\nFrom: ${h.get('From')}\r\nTo: ${h.get('To')};tag=${tag}\r\nCall-ID: ${h.get('Call-ID')}\r\nCSeq: ${h.get('CSeq')}\r\nContact: <sip:fork@127.0.0.1:${contactPort}>\r\nContent-Type: application/sdp\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

function toTagOf(message: SipMessage): string | undefined {
  return /;tag=([^;>\s]+)/.exec(message.headers.get('To') ?? '')?.[1];
}

describe('early dialogs of one INVITE: bounded, and PRACKed only towards the trunk', () => {
  let engine: EmbeddedSipEngine | undefined;
  const sockets: Socket[] = [];
  afterEach(async () => {
    await engine?.close();
    engine = undefined;
    for (const socket of sockets.splice(0)) socket.close();
  });

  async function startEngine(): Promise<EmbeddedSipEngine> {
    engine = new EmbeddedSipEngine({
      listen: { host: '127.0.0.1', port: 0 },
      timers: { t1: 20, t2: 160, t4: 200 },
    });
    await engine.start();
    return engine;
  }

  it(
    `PRACKs at most ${MAX_EARLY_DIALOGS} of 10 reliable forks and still reports them all`,
    { timeout: 30_000 },
    async () => {
      const sip = await startEngine();
      const carrier = await rawPeer((peer, m) => {
        if (m.method !== 'INVITE') return;
        for (let i = 1; i <= 10; i++)
          peer.send(provisional(m, `f${i}`, { contactPort: peer.port, rseq: 1 }), sip.localPort);
      });
      sockets.push(carrier.socket);
      const reported: ProvisionalInfo[] = [];
      const call = sip.invite({
        trunk: { name: 't', domain: 'carrier.test', proxy: `127.0.0.1:${carrier.port}` },
        uri: 'sip:1@carrier.test',
        sdp: SDP,
        ringTimeoutMs: 20_000,
        onProvisional: (p) => reported.push(p),
      });
      // At least: on a busy machine our INVITE may be resent before the first 1xx is read, and the
      // peer then sends all ten again; the forks past the cap (no dialog, so no RSeq to drop a
      // repeat by) are reported again, so exactly 10 could be passed between two looks.
      await waitFor(() => reported.length >= 10, { what: '10 provisionals reported' });
      await waitFor(() => new Set(carrier.requests('PRACK').map(toTagOf)).size >= MAX_EARLY_DIALOGS, {
        what: `${MAX_EARLY_DIALOGS} forks PRACKed`,
      });
      const invite = carrier.requests('INVITE')[0]!;
      carrier.send(answer(invite, 'f1', carrier.port), sip.localPort);
      const leg = await call;
      await leg.hangup();
      // Every PRACK was started as its provisional was reported, long before this BYE.
      await waitFor(() => carrier.requests('BYE').length > 0, { what: 'BYE' });
      const pracked = new Set(carrier.requests('PRACK').map(toTagOf));
      expect(pracked.size).toBe(MAX_EARLY_DIALOGS);
      expect(pracked.has('f9')).toBe(false);
      expect(pracked.has('f10')).toBe(false);
    },
  );

  it(
    'does not PRACK a fork whose Contact or Record-Route names another address',
    { timeout: 30_000 },
    async () => {
      const sip = await startEngine();
      // Elsewhere challenges every PRACK, as a host fishing for the trunk's digest would.
      const elsewhere = await rawPeer((peer, m) => {
        if (m.method === 'PRACK')
          peer.send(
            reply(m, '407 Proxy Authentication Required', 'x').replace(
              'Content-Length',
              'Proxy-Authenticate: Digest realm="x", nonce="n1"\r\nContent-Length',
            ),
            sip.localPort,
          );
      });
      sockets.push(elsewhere.socket);
      const carrier = await rawPeer((peer, m) => {
        if (m.method !== 'INVITE') return;
        peer.send(provisional(m, 'contact', { contactPort: elsewhere.port, rseq: 1 }), sip.localPort);
        peer.send(
          provisional(m, 'routed', { contactPort: peer.port, recordRoutePort: elsewhere.port, rseq: 1 }),
          sip.localPort,
        );
        // A fork that stays on the trunk: its PRACK comes after the two above would have left.
        peer.send(provisional(m, 'good', { contactPort: peer.port, rseq: 1 }), sip.localPort);
      });
      sockets.push(carrier.socket);
      const call = sip.invite({
        trunk: {
          name: 't',
          domain: 'carrier.test',
          proxy: `127.0.0.1:${carrier.port}`,
          username: 'u',
          password: 'secret',
        },
        uri: 'sip:1@carrier.test',
        sdp: SDP,
        ringTimeoutMs: 20_000,
      });
      await waitFor(() => carrier.requests('PRACK').some((m) => toTagOf(m) === 'good'), {
        what: 'PRACK of the fork on the trunk',
      });
      carrier.send(answer(carrier.requests('INVITE')[0]!, 'good', carrier.port), sip.localPort);
      const leg = await call;
      await leg.hangup();
      await waitFor(() => carrier.requests('BYE').length > 0, { what: 'BYE' });
      expect(elsewhere.requests('PRACK')).toHaveLength(0);
      expect(elsewhere.got.some((m) => m.headers.get('Proxy-Authorization') !== undefined)).toBe(false);
      expect(new Set(carrier.requests('PRACK').map(toTagOf))).toEqual(new Set(['good']));
    },
  );

  it(
    'answers 400 to an UPDATE with a broken Contact and keeps the CSeq for the next one',
    { timeout: 30_000 },
    async () => {
      const sip = await startEngine();
      const carrier = await rawPeer((peer, m) => {
        if (m.method === 'INVITE') peer.send(provisional(m, 'e1', { contactPort: peer.port }), sip.localPort);
      });
      sockets.push(carrier.socket);
      const reported: ProvisionalInfo[] = [];
      const call = sip.invite({
        trunk: { name: 't', domain: 'carrier.test', proxy: `127.0.0.1:${carrier.port}` },
        uri: 'sip:1@carrier.test',
        sdp: SDP,
        ringTimeoutMs: 20_000,
        onProvisional: (p) => reported.push(p),
      });
      // At least: a resent INVITE (busy machine) gets the 183 again, which is reported again.
      await waitFor(() => reported.length >= 1, { what: 'the 183' });
      const invite = carrier.requests('INVITE')[0]!;
      const update = (cseq: number, branch: string, contact: string): string =>
        `UPDATE sip:x@127.0.0.1:${sip.localPort} SIP/2.0\r\n` +
        `Via: SIP/2.0/UDP 127.0.0.1:${carrier.port};branch=z9hG4bK${branch}\r\n` +
        `Max-Forwards: 70\r\n` +
        `From: <sip:1@carrier.test>;tag=e1\r\n` +
        `To: ${invite.headers.get('From')}\r\n` +
        `Call-ID: ${invite.headers.get('Call-ID')}\r\n` +
        `CSeq: ${cseq} UPDATE\r\n` +
        `Contact: ${contact}\r\n` +
        `Content-Length: 0\r\n\r\n`;
      const statusOf = (branch: string): number | undefined => {
        const response = carrier.got.find(
          (m) => m.type === 'response' && (m.headers.get('Via') ?? '').includes(`branch=z9hG4bK${branch}`),
        );
        return response?.type === 'response' ? response.status : undefined;
      };
      // Missing ">": a malformed Contact (RFC 3261 §20.10). Its CSeq is higher than the next one's,
      // so a dialog that counted it would turn the good UPDATE away as out of order (§12.2.2).
      carrier.send(update(5, 'bad1', `<sip:fork@127.0.0.1:${carrier.port}`), sip.localPort);
      expect(await waitFor(() => statusOf('bad1'), { what: 'answer to the broken UPDATE' })).toBe(400);
      carrier.send(update(4, 'good1', `<sip:fork@127.0.0.1:${carrier.port}>`), sip.localPort);
      expect(await waitFor(() => statusOf('good1'), { what: 'answer to the good UPDATE' })).toBe(200);
      carrier.send(answer(invite, 'e1', carrier.port), sip.localPort);
      const leg = await call;
      await leg.hangup();
    },
  );
});
