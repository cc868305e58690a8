import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DrachtioSipEngine } from '../../../src/sip/drachtio/drachtio-engine.js';
import { EngineUnavailableError } from '../../../src/sip/engine-unavailable-error.js';
import { SipFailure } from '../../../src/sip/sip-failure.js';
import { waitFor } from '../../helpers/wait-for.js';

/**
 * drachtio-srf's side of the control connection against a stand-in drachtio-server on loopback
 * that speaks just enough of the wire protocol (`length#id|verb|…`): it authenticates, swallows
 * requests without answering, and can drop or refuse connections. What a real server does with
 * the SIP is the conformance suite's business (npm run test:drachtio).
 */
class FakeDrachtioServer {
  readonly sockets = new Set<net.Socket>();
  /** Connections accepted so far, closed ones included. */
  accepted = 0;
  /** Every `sip|…` request the engine sent, first line of the SIP message. */
  readonly sipRequests: string[] = [];
  #server: net.Server | undefined;
  #port = 0;

  constructor(readonly secret: string) {}

  get port(): number {
    return this.#port;
  }

  async listen(port = 0): Promise<void> {
    const server = net.createServer((socket) => this.#accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.#server = server;
    this.#port = (server.address() as net.AddressInfo).port;
  }

  /** Stops accepting and drops every connection. */
  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
    this.#server = undefined;
  }

  dropConnections(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  #accept(socket: net.Socket): void {
    this.accepted++;
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      for (;;) {
        const hash = buffer.indexOf('#');
        if (hash < 0) return;
        const length = Number(buffer.slice(0, hash));
        // Test traffic is ASCII, so characters are bytes.
        if (buffer.length < hash + 1 + length) return;
        const message = buffer.slice(hash + 1, hash + 1 + length);
        buffer = buffer.slice(hash + 1 + length);
        this.#handle(socket, message);
      }
    });
  }

  #handle(socket: net.Socket, message: string): void {
    const [leader = '', ...rest] = message.split('\r\n');
    const [id = '', verb, ...args] = leader.split('|');
    if (verb === 'authenticate') {
      const ok = args[0] === this.secret;
      this.#send(
        socket,
        ok
          ? `response|${id}|OK|udp/127.0.0.1:5070,tcp/127.0.0.1:5070|v0.9.10`
          : `response|${id}|NOK|incorrect secret`,
      );
      if (!ok) setTimeout(() => socket.destroy(), 10);
    } else if (verb === 'sip') {
      this.sipRequests.push(rest[0] ?? '');
    }
  }

  #send(socket: net.Socket, payload: string): void {
    const text = `srv${Math.random().toString(36).slice(2)}|${payload}`;
    socket.write(`${Buffer.byteLength(text)}#${text}`);
  }
}

const SDP =
  'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';
const TRUNK = { name: 'carrier', domain: 'carrier.test', proxy: '127.0.0.1:5999' };

async function failureOf(promise: Promise<unknown>): Promise<SipFailure> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SipFailure) return error;
    throw error;
  }
  throw new Error('expected a SipFailure');
}

describe('drachtio engine: the control connection', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function serverAndEngine(
    options: { secret?: string; reconnectWaitMs?: number } = {},
  ): Promise<{ server: FakeDrachtioServer; engine: DrachtioSipEngine }> {
    const server = new FakeDrachtioServer('cymru');
    await server.listen();
    cleanup.push(() => server.stop());
    const engine = new DrachtioSipEngine({
      host: '127.0.0.1',
      port: server.port,
      secret: options.secret ?? 'cymru',
      connectTimeoutMs: 1000,
      reconnectWaitMs: options.reconnectWaitMs ?? 300,
      retryMaxDelayMs: 200,
    });
    cleanup.push(() => engine.close());
    return { server, engine };
  }

  it('ends a call in flight with a transport SipFailure when the connection drops', async () => {
    const { server, engine } = await serverAndEngine();
    await engine.start();
    const call = failureOf(
      engine.invite({ trunk: TRUNK, uri: 'sip:100@carrier.test', sdp: SDP, ringTimeoutMs: 60_000 }),
    );
    await waitFor(() => server.sipRequests.length === 1, { what: 'server.sipRequests.length === 1' });
    expect(server.sipRequests[0]).toMatch(/^INVITE sip:100@carrier\.test SIP\/2\.0$/);
    server.dropConnections();
    const failure = await call;
    expect(failure.status).toBe(503);
    expect(failure.phase).toBe('transport');
    expect(failure.local).toBe(true);
    expect(failure.reason).toMatch(/lost the connection to drachtio-server/);
  });

  it('fails a new call fast with a clear SipFailure while drachtio-server is away, and places it once it is back', async () => {
    const { server, engine } = await serverAndEngine({ reconnectWaitMs: 200 });
    await engine.start();
    const port = server.port;
    await server.stop();
    await waitFor(() => !engine.connected, { what: '!engine.connected' });
    const failure = await failureOf(
      engine.invite({ trunk: TRUNK, uri: 'sip:100@carrier.test', sdp: SDP, ringTimeoutMs: 5000 }),
    );
    expect(failure).not.toHaveProperty('code', 'ERR_ASSERTION');
    expect(failure.status).toBe(503);
    expect(failure.phase).toBe('transport');
    expect(failure.reason).toMatch(/not connected to drachtio-server at 127\.0\.0\.1:\d+/);

    await server.listen(port);
    await waitFor(() => engine.connected, { what: 'engine.connected' });
    void engine
      .invite({ trunk: TRUNK, uri: 'sip:200@carrier.test', sdp: SDP, ringTimeoutMs: 5000 })
      .catch(() => undefined);
    await waitFor(() => server.sipRequests.length === 1, { what: 'server.sipRequests.length === 1' });
    expect(server.sipRequests[0]).toContain('sip:200@carrier.test');
  });

  it('survives a refused connection (error listener) and says where it could not connect', async () => {
    const { server, engine } = await serverAndEngine();
    await server.stop();
    const error = await engine.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EngineUnavailableError);
    expect((error as Error).message).toMatch(
      /cannot reach drachtio-server at 127\.0\.0\.1:\d+ within 1000 ms/,
    );
  });

  it('reports a refused secret without echoing it', async () => {
    const { engine } = await serverAndEngine({ secret: 'wrong-secret' });
    const error = await engine.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EngineUnavailableError);
    expect((error as Error).message).toMatch(/failed to authenticate/);
    expect((error as Error).message).not.toContain('wrong-secret');
  });

  it('stops reconnecting once closed', async () => {
    const { server, engine } = await serverAndEngine();
    // A sentinel with the same reconnect delays, dropped after the engine was closed: once it is
    // back, the closed engine's reconnect timer, armed earlier, would have fired too.
    const sentinel = await serverAndEngine();
    await Promise.all([engine.start(), sentinel.engine.start()]);
    server.dropConnections();
    await waitFor(() => !engine.connected, { what: 'the engine to see the drop' });
    await engine.close();
    const before = server.accepted;
    sentinel.server.dropConnections();
    await waitFor(() => !sentinel.engine.connected, { what: 'the sentinel to see the drop' });
    await waitFor(() => sentinel.engine.connected, { what: 'the sentinel to reconnect' });
    // Not even a connection opened and then ended: none was opened at all.
    expect(server.accepted).toBe(before);
    expect(server.sockets.size).toBe(0);
    expect(engine.connected).toBe(false);
  });
});
