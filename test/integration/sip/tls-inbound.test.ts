import { readFile } from 'node:fs/promises';
import net from 'node:net';
import tls from 'node:tls';
import { Writable } from 'node:stream';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/index.js';
import { createLogger } from '../../../src/log/index.js';
import { createSipEngine } from '../../../src/sip/index.js';
import type { CallEnd } from '../../../src/sip/engine.js';
import { EmbeddedSipEngine } from '../../../src/sip/embedded/embedded-engine.js';
import { parseMessage } from '../../../src/sip/embedded/message/parse-message.js';
import type { SipMessage, SipRequest } from '../../../src/sip/embedded/message/sip-message.js';
import { SipStreamFramer } from '../../../src/sip/embedded/message/stream-framer.js';
import type { SipTrunk } from '../../../src/sip/sip-trunk.js';
import { hasOpenssl, makeTestPki, type TestPki } from '../../helpers/test-pki.js';
import { waitFor } from '../../helpers/wait-for.js';
import { SDP } from './conformance-helpers.js';

/**
 * A carrier that opens its own TLS connection to the Contact we advertised (RFC 3261 §18.2.2,
 * RFC 5626 §3: our connection dropped, its BYE comes on a new one). The carrier is node:tls
 * written here, on real sockets; our side is the engine's TLS listener with a certificate of
 * the test's CA. A connection from another address is not the carrier, whatever it says.
 */

/** One TLS connection of the carrier's: the messages it received, and a way to send. */
interface Flow {
  readonly messages: SipMessage[];
  write(text: string): void;
  close(): void;
}

function flowOf(socket: tls.TLSSocket, onRequest?: (request: SipRequest, flow: Flow) => void): Flow {
  const messages: SipMessage[] = [];
  const framer = new SipStreamFramer();
  const flow: Flow = {
    messages,
    write: (text) => socket.write(text),
    close: () => socket.destroy(),
  };
  socket.on('error', () => undefined);
  socket.on('data', (chunk: Buffer) => {
    for (const frame of framer.push(chunk)) {
      const message = parseMessage(frame);
      messages.push(message);
      if (message.type === 'request') onRequest?.(message, flow);
    }
  });
  return flow;
}

/** The carrier's listener: answers the INVITE 200 (Contact at this listener, over TLS). */
async function startCarrier(
  pki: TestPki,
): Promise<{ port: number; flows: Flow[]; invite: () => SipRequest | undefined; close(): Promise<void> }> {
  const flows: Flow[] = [];
  let invite: SipRequest | undefined;
  const server = tls.createServer({ cert: await readFile(pki.certPath), key: await readFile(pki.keyPath) });
  let port = 0;
  server.on('secureConnection', (socket) => {
    flows.push(
      flowOf(socket, (request, flow) => {
        if (request.method !== 'INVITE') return;
        invite = request;
        const h = request.headers;
        flow.write(
          `SIP/2.0 200 OK\r\nVia: ${h.get('Via')}\r\nFrom: ${h.get('From')}\r\nTo: ${h.get('To')};tag=carrier\r\n` +
            `Call-ID: ${h.get('Call-ID')}\r\nCSeq: ${h.get('CSeq')}\r\n` +
            `Contact: <sip:callee@127.0.0.1:${port};transport=tls>\r\nContent-Type: application/sdp\r\n` +
            `Content-Length: ${Buffer.byteLength(SDP)}\r\n\r\n${SDP}`,
        );
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    flows,
    invite: () => invite,
    close: async () => {
      for (const flow of flows) flow.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A new TLS connection to `port` from `localAddress`, checking our certificate against the CA. */
async function connectTo(pki: TestPki, port: number, localAddress: string): Promise<Flow> {
  const ca = await readFile(pki.caPath);
  return new Promise<Flow>((resolve, reject) => {
    // node:tls has no localAddress of its own: the TCP socket under it is bound first.
    const tcp = net.connect({ host: '127.0.0.1', port, localAddress });
    const socket = tls.connect({ socket: tcp, ca, servername: 'carrier.test' });
    socket.once('error', reject);
    socket.once('secureConnect', () => {
      socket.off('error', reject);
      resolve(flowOf(socket));
    });
  });
}

/** The carrier's BYE for the dialog the INVITE and its 200 made. */
function byeFor(invite: SipRequest, localAddress: string, contactPort: number): string {
  const h = invite.headers;
  return (
    `BYE sip:dialer@127.0.0.1:${contactPort};transport=tls SIP/2.0\r\n` +
    `Via: SIP/2.0/TLS ${localAddress}:5061;branch=z9hG4bK-bye-${localAddress}\r\nMax-Forwards: 70\r\n` +
    `From: ${h.get('To')};tag=carrier\r\nTo: ${h.get('From')}\r\nCall-ID: ${h.get('Call-ID')}\r\n` +
    `CSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n`
  );
}

const opensslMissing = !(await hasOpenssl());

describe.skipIf(opensslMissing)('inbound TLS: a carrier opens its own connection to our Contact', () => {
  let pki: TestPki;
  let engine: EmbeddedSipEngine | undefined;
  let carrier: Awaited<ReturnType<typeof startCarrier>> | undefined;
  const flows: Flow[] = [];

  beforeAll(async () => {
    // One identity for both ends (the carrier's and ours): carrier.test and 127.0.0.1.
    pki = await makeTestPki(['carrier.test', '127.0.0.1'], { keep: true });
    return () => pki.remove();
  });

  afterEach(async () => {
    for (const flow of flows.splice(0)) flow.close();
    await engine?.close();
    await carrier?.close();
    engine = undefined;
    carrier = undefined;
  });

  it('its BYE on a new connection reaches the call (200 on that connection, call ended by the far end); one from another address gets 403 and the call goes on', async () => {
    carrier = await startCarrier(pki);
    // From the config file, as a worker starts: sip.tls names our certificate and key.
    let logged = '';
    const logger = createLogger({
      level: 'debug',
      destination: new Writable({
        write(chunk: Buffer, _encoding, done) {
          logged += chunk.toString();
          done();
        },
      }),
    });
    const config = parseConfig(
      `sip: { listen: 127.0.0.1:0, tls: { cert: ${pki.certPath}, key: ${pki.keyPath}, port: 0 } }\n` +
        `trunks:\n  - { name: tls-carrier, domain: carrier.test, proxy: 127.0.0.1:${carrier.port}, transport: tls, tls: { ca: ${pki.caPath} } }\n`,
      {},
    );
    engine = createSipEngine(config, { logger }) as EmbeddedSipEngine;
    await engine.start();
    const trunk: SipTrunk = config.trunks[0]!;
    const leg = await engine.invite({
      trunk,
      uri: 'sip:5534984149880@carrier.test',
      sdp: SDP,
      ringTimeoutMs: 10_000,
    });
    const ended = new Promise<CallEnd>((resolve) => leg.once('ended', resolve));
    const invite = carrier.invite()!;
    // Via and Contact name our TLS listener, not the UDP/TCP port.
    const contactPort = Number(/:(\d+);transport=tls>/.exec(invite.headers.get('Contact') ?? '')?.[1]);
    expect(contactPort).toBeGreaterThan(0);
    expect(contactPort).not.toBe(engine.localPort);
    expect(invite.headers.get('Via')).toContain(`SIP/2.0/TLS 127.0.0.1:${contactPort};`);

    // The carrier loses the connection we opened.
    for (const flow of carrier.flows) flow.close();

    // Someone else on the network (another address) opens a connection and sends the BYE first.
    const stranger = await connectTo(pki, contactPort, '127.0.0.2');
    flows.push(stranger);
    stranger.write(byeFor(invite, '127.0.0.2', contactPort));
    const refused = await waitFor(() => stranger.messages.find((m) => m.type === 'response'), {
      what: "the answer to the stranger's BYE",
    });
    expect(refused.type === 'response' ? refused.status : 0).toBe(403);
    expect(engine.stats.spoofedRequests).toBe(1);
    expect(leg.end).toBeUndefined();

    // The carrier, from its own address, on a connection of its own.
    const comeback = await connectTo(pki, contactPort, '127.0.0.1');
    flows.push(comeback);
    comeback.write(byeFor(invite, '127.0.0.1', contactPort));
    const ok = await waitFor(
      () => comeback.messages.find((m) => m.type === 'response' && /BYE$/.test(m.headers.get('CSeq') ?? '')),
      { what: "the 200 to the carrier's BYE on its new connection" },
    );
    expect(ok.type === 'response' ? ok.status : 0).toBe(200);
    expect(await ended).toMatchObject({ by: 'remote' });
    // Our private key is in no log line (its base64 body, line by line).
    const keyLines = (await readFile(pki.keyPath, 'utf8'))
      .split('\n')
      .filter((l) => l && !l.startsWith('-----'));
    expect(keyLines.length).toBeGreaterThan(0);
    for (const line of keyLines) expect(logged).not.toContain(line);
    expect(logged).toContain('SIP engine listening (udp+tcp, and tls)');
  });

  it("bounds what others open to the listener as sip.tcp does for TCP (per address, idle), and answers a carrier's CRLF ping with a pong", async () => {
    engine = new EmbeddedSipEngine({
      listen: { host: '127.0.0.1', port: 0 },
      tlsServer: { port: 0, cert: await readFile(pki.certPath), key: await readFile(pki.keyPath) },
      tcpLimits: { idleTimeoutMs: 300, maxConnectionsPerAddress: 1, maxConnections: 10 },
    });
    await engine.start();
    const sip = engine;
    const port = sip.tlsListenPort ?? 0;
    const ca = await readFile(pki.caPath);
    const open = (): Promise<{ socket: tls.TLSSocket; received: Buffer[]; closed: Promise<void> }> =>
      new Promise((resolve, reject) => {
        const socket = tls.connect({ host: '127.0.0.1', port, ca, servername: 'carrier.test' });
        const received: Buffer[] = [];
        const closed = new Promise<void>((done) => socket.once('close', () => done()));
        socket.on('data', (chunk: Buffer) => received.push(chunk));
        socket.once('error', reject);
        socket.once('secureConnect', () => {
          socket.off('error', reject);
          socket.on('error', () => undefined);
          resolve({ socket, received, closed });
        });
      });
    const first = await open();
    first.socket.write('\r\n\r\n');
    await waitFor(() => Buffer.concat(first.received).toString('latin1') === '\r\n', {
      what: 'the CRLF pong',
    });
    // A second connection from the same address is over its cap: closed at once.
    const second = await open();
    await second.closed;
    // The first sends no message: closed once idle.
    await first.closed;
    expect(sip.stats.tls.limitCloses).toStrictEqual({ idle: 1, 'per-address': 1, total: 0 });
    expect(sip.securityStats.tcpClosed).toStrictEqual({ idle: 1, 'per-address': 1, total: 0 });
  });
});
