import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedSipEngine } from '../../../src/sip/embedded/embedded-engine.js';
import { parseMessage } from '../../../src/sip/embedded/message/parse-message.js';
import type { SipRequest } from '../../../src/sip/embedded/message/sip-message.js';
import { SipStreamFramer } from '../../../src/sip/embedded/message/stream-framer.js';
import { TlsConfigError } from '../../../src/sip/embedded/tls-config-error.js';
import { TlsCertificateRejectedError } from '../../../src/sip/embedded/transport/tls-certificate-rejected-error.js';
import type { SipTrunk } from '../../../src/sip/sip-trunk.js';
import { hasOpenssl, makeTestPki, type TestPki } from '../../helpers/test-pki.js';
import { waitFor } from '../../helpers/wait-for.js';
import { failureOf, SDP } from './conformance-helpers.js';

/**
 * A registrar on node:tls written here: the seam test of the TLS transport for what Kamailio
 * cannot be made to do on cue (never answer a CRLF ping, ask for a client certificate and show
 * what it got, present a self-signed certificate). The carrier test is tls-kamailio.test.ts.
 */
interface Registrar {
  readonly port: number;
  readonly requests: SipRequest[];
  /** Client certificate subjects (CN), one per connection; '' when none was presented. */
  readonly clients: string[];
  close(): Promise<void>;
}

interface RegistrarBehaviour {
  /** REGISTERs (1-based, counted over all connections) answered by closing the connection instead. */
  readonly dropOn?: readonly number[];
  /** The expiry granted, seconds. Default 3600. */
  readonly expiresSec?: number;
}

async function startRegistrar(
  pki: TestPki,
  identity: 'server' | 'other-ca',
  behaviour: RegistrarBehaviour = {},
): Promise<Registrar> {
  const requests: SipRequest[] = [];
  const clients: string[] = [];
  const sockets = new Set<tls.TLSSocket>();
  const server = tls.createServer({
    cert: await readPem(identity === 'server' ? pki.certPath : join(pki.dir, 'other-ca.pem')),
    key: await readPem(identity === 'server' ? pki.keyPath : join(pki.dir, 'other-ca.key')),
    ca: await readPem(pki.caPath),
    requestCert: true,
    rejectUnauthorized: false,
  });
  server.on('secureConnection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const peer = socket.getPeerCertificate();
    clients.push(socket.authorized && typeof peer.subject?.CN === 'string' ? peer.subject.CN : '');
    // CRLFs between messages are skipped by the framer: this registrar never pongs.
    const framer = new SipStreamFramer();
    socket.on('data', (chunk: Buffer) => {
      for (const frame of framer.push(chunk)) {
        const message = parseMessage(frame);
        if (message.type !== 'request') continue;
        requests.push(message);
        if (behaviour.dropOn?.includes(requests.length)) {
          socket.destroy();
          return;
        }
        const h = message.headers;
        if (message.method === 'INVITE' || message.method === 'BYE') {
          // A far end whose Contact points at a plain UDP address, with no Record-Route.
          const sdp = message.method === 'INVITE' ? SDP : '';
          const head =
            `SIP/2.0 200 OK\r\nVia: ${h.get('Via')}\r\nFrom: ${h.get('From')}\r\nTo: ${h.get('To')}` +
            `${message.method === 'INVITE' ? ';tag=callee' : ''}\r\nCall-ID: ${h.get('Call-ID')}\r\n` +
            `CSeq: ${h.get('CSeq')}\r\nContact: <sip:callee@127.0.0.1:9;transport=udp>\r\n`;
          socket.write(
            `${head}${sdp ? 'Content-Type: application/sdp\r\n' : ''}Content-Length: ${Buffer.byteLength(sdp)}\r\n\r\n${sdp}`,
          );
          continue;
        }
        if (message.method === 'ACK') continue;
        const contact = h.get('Contact') ?? '';
        socket.write(
          `SIP/2.0 200 OK\r\nVia: ${h.get('Via')}\r\nFrom: ${h.get('From')}\r\nTo: ${h.get('To')};tag=reg\r\n` +
            `Call-ID: ${h.get('Call-ID')}\r\nCSeq: ${h.get('CSeq')}\r\nContact: ${contact};expires=${behaviour.expiresSec ?? 3600}\r\n` +
            'Content-Length: 0\r\n\r\n',
        );
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    requests,
    clients,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function readPem(path: string): Promise<Buffer> {
  return readFile(path);
}

const opensslMissing = !(await hasOpenssl());

describe.skipIf(opensslMissing)('TLS transport against a node:tls registrar (seam)', () => {
  let pki: TestPki;
  let registrar: Registrar | undefined;
  let engine: EmbeddedSipEngine | undefined;

  beforeAll(async () => {
    pki = await makeTestPki(['carrier.test'], { keep: true });
    return () => pki.remove();
  });

  afterEach(async () => {
    await engine?.close();
    await registrar?.close();
    engine = undefined;
    registrar = undefined;
  });

  async function start(keepAlive = { intervalMs: 0, timeoutMs: 0 }): Promise<EmbeddedSipEngine> {
    engine = new EmbeddedSipEngine({
      listen: { host: '127.0.0.1', port: 0 },
      tlsKeepAlive: keepAlive,
      // Timer F = 64·T1 = 10 min, far past the test's timeout: only the lost connection can end a
      // REGISTER that gets no answer in time.
      timers: { t1: 10_000, t2: 40_000, t4: 50_000 },
    });
    await engine.start();
    return engine;
  }

  const trunk = (port: number, extra: Partial<SipTrunk> = {}, tlsExtra: SipTrunk['tls'] = {}): SipTrunk => ({
    name: 'seam',
    domain: 'carrier.test',
    proxy: `127.0.0.1:${port}`,
    transport: 'tls',
    username: 'dialer1',
    ...extra,
    tls: { ca: pki.caPath, ...tlsExtra },
  });

  it('presents the client certificate and writes sips: URIs when the trunk asks for sips', async () => {
    registrar = await startRegistrar(pki, 'server');
    const sip = await start();
    const registration = await sip.register(
      trunk(registrar.port, { sips: true }, { cert: pki.clientCertPath, key: pki.clientKeyPath }),
    );
    expect(registration.status.state).toBe('registered');
    expect(registrar.clients).toStrictEqual(['dialer']);
    const [register] = registrar.requests;
    expect(register?.uri).toBe('sips:carrier.test');
    expect(register?.headers.get('From')).toMatch(/^<sips:dialer1@carrier\.test>;tag=/);
    expect(register?.headers.get('Contact')).toMatch(/^<sips:dialer1@127\.0\.0\.1:\d+>$/);
    expect(register?.headers.get('Via')).toMatch(/^SIP\/2\.0\/TLS /);
  });

  it('a sips call whose far end points at a plain UDP address still sends ACK and BYE over TLS', async () => {
    registrar = await startRegistrar(pki, 'server');
    const sip = await start();
    const leg = await sip.invite({
      trunk: trunk(registrar.port, { sips: true }),
      uri: 'sip:5534984149880@carrier.test',
      sdp: SDP,
      ringTimeoutMs: 10_000,
    });
    expect(registrar.requests[0]?.uri).toBe('sips:5534984149880@carrier.test');
    await leg.hangup();
    const peer = registrar;
    await waitFor(() => peer.requests.some((r) => r.method === 'BYE'), {
      what: 'the BYE on the TLS connection',
    });
    expect(peer.requests.map((r) => r.method)).toStrictEqual(['INVITE', 'ACK', 'BYE']);
    expect(peer.clients).toHaveLength(1);
  });

  it('closes a connection whose CRLF pings get no pong and registers again on a new one', async () => {
    registrar = await startRegistrar(pki, 'server');
    const sip = await start({ intervalMs: 100, timeoutMs: 300 });
    await sip.register(trunk(registrar.port));
    const peer = registrar;
    await waitFor(() => peer.clients.length >= 2 && peer.requests.length >= 2, {
      what: 'a second connection carrying a second REGISTER',
    });
    expect(sip.stats.tls.pings).toBeGreaterThanOrEqual(1);
    expect(sip.stats.tls.pongs).toBe(0);
    expect(peer.requests.map((r) => r.method)).toStrictEqual(peer.requests.map(() => 'REGISTER'));
    expect(peer.requests[1]?.headers.get('Expires')).toBe('3600');
  });

  it('a connection lost mid-REGISTER fails that REGISTER at once and binds again on a new connection', async () => {
    // The first refresh (REGISTER 2, at half of the 2 s granted) gets the connection closed on it.
    registrar = await startRegistrar(pki, 'server', { dropOn: [2], expiresSec: 2 });
    const sip = await start();
    const registration = await sip.register(trunk(registrar.port));
    const states: string[] = [];
    registration.on('state', (status) => states.push(status.state));
    const peer = registrar;
    await waitFor(() => peer.requests.length >= 3 && states.at(-1) === 'registered', {
      what: 'a third REGISTER, answered on a second connection',
    });
    expect(peer.clients).toHaveLength(2);
    expect(states).toContain('registering');
    // One Call-ID for the binding's life, CSeq growing over the reconnect (RFC 3261 §10.2.4).
    expect(new Set(peer.requests.map((r) => r.headers.get('Call-ID'))).size).toBe(1);
    const cseqs = peer.requests.map((r) => Number.parseInt(r.headers.get('CSeq') ?? '', 10));
    expect(cseqs).toStrictEqual([...cseqs].sort((a, b) => a - b));
    await registration.unregister();
  });

  it('refuses a self-signed certificate: DEPTH_ZERO_SELF_SIGNED_CERT, nothing sent', async () => {
    registrar = await startRegistrar(pki, 'other-ca');
    const sip = await start();
    const error = await failureOf(sip.register(trunk(registrar.port)));
    expect(error.cause).toBeInstanceOf(TlsCertificateRejectedError);
    expect((error.cause as TlsCertificateRejectedError).reason).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(registrar.requests).toStrictEqual([]);
  });

  it('names the trunk and field of a CA bundle that is not PEM, never its content', async () => {
    registrar = await startRegistrar(pki, 'server');
    const junk = join(pki.dir, 'junk.pem');
    await writeFile(junk, 'not a certificate at all');
    const sip = await start();
    const error = await failureOf(
      sip.register(trunk(registrar.port, {}, { ca: junk, cert: pki.clientCertPath, key: pki.clientKeyPath })),
    );
    expect(error.cause).toBeInstanceOf(TlsConfigError);
    expect((error.cause as TlsConfigError).code).toBe('TLS_CONFIG');
    expect(error.reason).toMatch(/^trunk seam: tls\.ca: holds no PEM certificate/);
    expect(error.reason).not.toContain('not a certificate at all');

    const badKey = await failureOf(
      sip.register(trunk(registrar.port, {}, { cert: pki.clientCertPath, key: junk })),
    );
    expect(badKey.reason).toMatch(/^trunk seam: tls\.cert: is not usable PEM/);
    expect(badKey.reason).not.toContain('not a certificate at all');
  });
});
