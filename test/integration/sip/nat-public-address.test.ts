import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedSipEngine } from '../../../src/sip/embedded/embedded-engine.js';
import { startSipp } from '../../helpers/sipp.js';
import { waitFor } from '../../helpers/wait-for.js';
import { failureOf, received, SDP, trunkFor } from './conformance-helpers.js';

describe('NAT (RFC 3581, RFC 5626 keep-alive): embedded', () => {
  let engine: EmbeddedSipEngine | undefined;
  let socket: Socket | undefined;
  let server: Server | undefined;

  afterEach(async () => {
    await engine?.close();
    socket?.close();
    server?.close();
    engine = undefined;
    socket = undefined;
    server = undefined;
  });

  it('learns the public address from the registrar Via, re-registers with it, and puts it in INVITE Contact', async () => {
    const registrar = await startSipp({ scenario: 'uas-register-nat.xml' });
    const carrier = await startSipp({ scenario: 'uas-reject-486.xml' });
    engine = new EmbeddedSipEngine({ listen: { host: '127.0.0.1', port: 0 }, nat: 'auto' });
    await engine.start();
    const trunk = trunkFor(registrar, { password: undefined, registerExpiresSec: 60 });
    const registration = await engine.register(trunk);
    expect(registration.status.state).toBe('registered');

    const wire = await registrar.messages();
    const registers = received(wire, 'REGISTER');
    expect(registers).toHaveLength(2);
    expect(registers[0]?.headers['contact']).toContain(`127.0.0.1:${engine.localPort}`);
    expect(registers[1]?.headers['contact']).toBe('<sip:dialer1@203.0.113.7:40000>');

    // The same trunk's calls (sent to a second peer: sipp would take a new Call-ID for another call).
    const failure = await failureOf(
      engine.invite({
        trunk: { ...trunk, proxy: carrier.uri },
        uri: 'sip:5534984149880@carrier.test',
        sdp: SDP,
        ringTimeoutMs: 5000,
      }),
    );
    expect(failure.status).toBe(486);
    const [invite] = received(await carrier.messages(), 'INVITE');
    expect(invite?.headers['contact']).toBe('<sip:dialer1@203.0.113.7:40000>');

    await registration.unregister();
    expect(await registrar.waitForExit(), await registrar.errors()).toBe(0);
  });

  it('with nat off, keeps its own Contact whatever the registrar saw', async () => {
    const registrar = await startSipp({ scenario: 'uas-register-nat.xml' });
    engine = new EmbeddedSipEngine({ listen: { host: '127.0.0.1', port: 0 }, nat: 'off' });
    await engine.start();
    const registration = await engine.register(
      trunkFor(registrar, { password: undefined, registerExpiresSec: 60 }),
    );
    expect(registration.status.state).toBe('registered');
    // The scenario waits for a re-REGISTER that never comes; it was the only one sent.
    const registers = received(await registrar.messages(), 'REGISTER');
    expect(registers).toHaveLength(1);
    expect(registers[0]?.headers['contact']).toContain(`127.0.0.1:${engine.localPort}`);
  });

  it('pings a registered UDP trunk with CRLFCRLF from the SIP port, every interval', async () => {
    socket = createSocket('udp4');
    const carrier = socket;
    await new Promise<void>((resolve) => carrier.bind(0, '127.0.0.1', () => resolve()));
    const pings: Array<{ port: number }> = [];
    let registerFrom = 0;
    carrier.on('message', (data, rinfo) => {
      const text = data.toString('latin1');
      if (text === '\r\n\r\n') {
        pings.push({ port: rinfo.port });
        return;
      }
      if (!text.startsWith('REGISTER ')) return;
      registerFrom = rinfo.port;
      const header = (name: string): string => new RegExp(`^${name}: *(.*)$`, 'im').exec(text)?.[1] ?? '';
      const expires = /^Expires: *0\b/im.test(text) ? '0' : '60';
      carrier.send(
        `SIP/2.0 200 OK\r\nVia: ${header('Via')}\r\nFrom: ${header('From')}\r\nTo: ${header('To')};tag=r\r\n` +
          `Call-ID: ${header('Call-ID')}\r\nCSeq: ${header('CSeq')}\r\nContact: ${header('Contact')};expires=${expires}\r\n` +
          `Content-Length: 0\r\n\r\n`,
        rinfo.port,
        rinfo.address,
      );
    });
    engine = new EmbeddedSipEngine({ listen: { host: '127.0.0.1', port: 0 }, keepAliveMs: 200 });
    await engine.start();
    await engine.register({
      name: 'carrier',
      domain: 'carrier.test',
      proxy: `127.0.0.1:${carrier.address().port}`,
      username: 'dialer1',
      registerExpiresSec: 60,
    });
    await waitFor(() => pings.length >= 2 || undefined, { what: 'two keep-alive pings at the carrier' });
    expect(pings.every((p) => p.port === registerFrom && p.port === engine?.localPort)).toBe(true);
    expect(engine.keepAlivesSent['carrier']).toBeGreaterThanOrEqual(2);

    // Unregistered: the keep-alive stops with the binding it held.
    await engine.unregister('carrier');
    expect(engine.keepAlivesSent['carrier']).toBeUndefined();
  });

  it('pings a registered TCP trunk with CRLFCRLF on the connection REGISTER used', async () => {
    let connections = 0;
    let pings = 0;
    server = createServer((conn) => {
      connections += 1;
      let buffered = '';
      let registers = 0;
      conn.setEncoding('latin1').on('data', (chunk: string) => {
        buffered += chunk;
        for (;;) {
          if (buffered.startsWith('\r\n\r\n')) {
            // A ping counts once a REGISTER was answered: the keep-alive follows the registration.
            if (registers > 0) pings += 1;
            buffered = buffered.slice(4);
            continue;
          }
          const end = buffered.indexOf('\r\n\r\n');
          if (!buffered.startsWith('REGISTER ') || end === -1) return;
          const text = buffered.slice(0, end);
          buffered = buffered.slice(end + 4);
          registers += 1;
          const header = (name: string): string => new RegExp(`^${name}: *(.*)$`, 'im').exec(text)?.[1] ?? '';
          conn.write(
            `SIP/2.0 200 OK\r\nVia: ${header('Via')}\r\nFrom: ${header('From')}\r\nTo: ${header('To')};tag=r\r\n` +
              `Call-ID: ${header('Call-ID')}\r\nCSeq: ${header('CSeq')}\r\nContact: ${header('Contact')};expires=60\r\n` +
              `Content-Length: 0\r\n\r\n`,
          );
        }
      });
    });
    const listening = server;
    await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', () => resolve()));
    const address = listening.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    engine = new EmbeddedSipEngine({ listen: { host: '127.0.0.1', port: 0 }, keepAliveMs: 200 });
    await engine.start();
    await engine.register({
      name: 'carrier',
      domain: 'carrier.test',
      proxy: `127.0.0.1:${port}`,
      transport: 'tcp',
      username: 'dialer1',
      registerExpiresSec: 60,
    });
    await waitFor(() => pings >= 2 || undefined, { what: 'two keep-alive pings on the TCP connection' });
    expect(connections).toBe(1);
  });
});
