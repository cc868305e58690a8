import { createSocket } from 'node:dgram';
import { connect, createServer } from 'node:net';
import { describe, expect, inject, it } from 'vitest';
import { digestAuthorization, digestResponse, parseDigestParams } from '../../helpers/digest.js';
import { freePortPair, freeTcpPort, freeUdpPort } from '../../helpers/free-port.js';
import { startSipp } from '../../helpers/sipp.js';
import { parseSipMessage, parseSippTrace } from '../../helpers/sipp-trace.js';

describe('private Redis from globalSetup', () => {
  it('answers PING at the provided URL', async () => {
    const url = new URL(inject('redisUrl'));
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect({ host: url.hostname, port: Number(url.port) }, () => socket.write('PING\r\n'));
      socket.once('error', reject);
      socket.once('data', (chunk) => {
        socket.destroy();
        resolve(chunk.toString('utf8'));
      });
    });
    expect(reply).toBe('+PONG\r\n');
  });
});

describe('free ports', () => {
  it('freePortPair gives a number both UDP and TCP can bind on 127.0.0.1', async () => {
    const port = await freePortPair();
    const udp = createSocket('udp4');
    const tcp = createServer();
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(port, '127.0.0.1', resolve);
    });
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(port, '127.0.0.1', resolve);
    });
    udp.close();
    await new Promise((resolve) => tcp.close(resolve));
  });

  it('freeUdpPort and freeTcpPort give ports above the well-known range', async () => {
    expect(await freeUdpPort()).toBeGreaterThan(1023);
    expect(await freeTcpPort()).toBeGreaterThan(1023);
  });
});

describe('startSipp', () => {
  it('binds before resolving, and stop() is idempotent', async () => {
    const uas = await startSipp({ scenario: 'uas-answer.xml', transport: 'tcp' });
    await new Promise<void>((resolve, reject) => {
      const socket = connect({ host: uas.host, port: uas.port }, () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', reject);
    });
    await Promise.all([uas.stop(), uas.stop()]);
    await uas.stop();
    const exit = await uas.exited;
    expect(exit.stopped).toBe(true);
    expect(await uas.messages()).toEqual([]);
  });

  it('rejects a scenario that does not exist', async () => {
    await expect(startSipp({ scenario: 'no-such-scenario.xml' })).rejects.toThrow(/scenario not found/);
  });

  it('reports a scenario sipp refuses to load', async () => {
    await expect(
      startSipp({ scenario: 'uas-answer.xml', vars: { not_declared: '1' }, timeoutMs: 2_000 }),
    ).rejects.toThrow(/did not bind[\s\S]*not_declared/);
  });
});

describe('parseSippTrace', () => {
  const invite = [
    'INVITE sip:100@127.0.0.1:5060 SIP/2.0',
    'v: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1;rport',
    'f: <sip:a@b>;tag=1',
    't: <sip:100@b>',
    'i: abc',
    'CSeq: 1 INVITE',
    'Subject: folded',
    ' line',
    'l: 0',
    '',
    '',
  ].join('\r\n');
  const ringing = [
    'SIP/2.0 180 Ringing',
    'Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1',
    'CSeq: 1 INVITE',
    '',
    '',
  ].join('\r\n');
  const trace =
    `----------------------------------------------- 2026-11-26 09:54:39.964436\n` +
    `UDP message received [${invite.length}] bytes :\n\n${invite}\n` +
    `-----------------------------------------------\n` +
    `Unexpected UDP message received:\n\n${invite}\n` +
    `----------------------------------------------- 2026-11-26 09:54:39.964579\n` +
    `UDP message sent (${ringing.length} bytes):\n\n${ringing}\n`;

  it('reads both directions, expands compact headers and keeps the raw bytes', () => {
    const [first, second, ...rest] = parseSippTrace(trace);
    expect(rest).toEqual([]);
    expect(first).toMatchObject({
      direction: 'received',
      transport: 'UDP',
      method: 'INVITE',
      requestUri: 'sip:100@127.0.0.1:5060',
      unexpected: true,
      raw: invite,
      time: '2026-11-26 09:54:39.964436',
    });
    expect(first?.headers).toMatchObject({
      via: expect.stringContaining('branch=z9hG4bK1'),
      'call-id': 'abc',
    });
    expect(first?.headers['subject']).toBe('folded line');
    expect(second).toMatchObject({
      direction: 'sent',
      status: 180,
      reason: 'Ringing',
      unexpected: false,
      raw: ringing,
    });
  });

  it('parses a body', () => {
    const message = parseSipMessage('SIP/2.0 200 OK\r\nContent-Length: 4\r\n\r\nv=0\n', 'sent');
    expect(message.body).toBe('v=0\n');
    expect(message.headers['content-length']).toBe('4');
  });
});

describe('digest helpers', () => {
  it('match the RFC 2617 §3.5 example', () => {
    expect(
      digestResponse({
        username: 'Mufasa',
        password: 'Circle Of Life',
        realm: 'testrealm@host.com',
        nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
        method: 'GET',
        uri: '/dir/index.html',
        qop: 'auth',
        nc: '00000001',
        cnonce: '0a4f113b',
      }),
    ).toBe('6629fae49393a05397450978507c4ef1');
  });

  it('round-trip through parseDigestParams', () => {
    const header = digestAuthorization({
      username: 'dialer1',
      password: 'secret',
      realm: 'carrier.test',
      nonce: 'n1',
      method: 'INVITE',
      uri: 'sip:1@carrier.test',
      qop: 'auth',
      nc: '00000001',
      cnonce: 'c1',
    });
    expect(parseDigestParams(header)).toMatchObject({
      username: 'dialer1',
      nonce: 'n1',
      qop: 'auth',
      nc: '00000001',
    });
  });
});
