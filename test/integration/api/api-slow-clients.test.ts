import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { apiFixture, TOKEN, type ApiFixture } from './api-fixture.js';

let fixture: ApiFixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

async function open(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  const socket = connect({ host: hostname, port: Number(port) });
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return socket;
}

function closed(socket: Socket): Promise<string> {
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
  return new Promise((resolve) => socket.once('close', () => resolve(received)));
}

describe('slow and unauthenticated clients', () => {
  it('closes a connection whose body trickles in past api.requestTimeout', async () => {
    fixture = await apiFixture({ api: ['requestTimeout: 1s', 'headersTimeout: 1s'] });
    const socket = await open(await fixture.server.listen());
    const done = closed(socket);
    socket.write(
      `POST /calls HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\n` +
        'Content-Type: application/json\r\nContent-Length: 1000000\r\n\r\n',
    );
    // One byte every 200 ms, until the server gives up on the request.
    const trickle = setInterval(() => socket.writable && socket.write('x'), 200);
    try {
      await done;
    } finally {
      clearInterval(trickle);
    }
    expect(socket.destroyed).toBe(true);
  }, 60_000);

  it('closes the connection after a 401, even with a body still to come', async () => {
    fixture = await apiFixture();
    const socket = await open(await fixture.server.listen());
    const done = closed(socket);
    socket.write(
      'POST /calls HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer wrong-token-0123456789\r\n' +
        'Content-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{',
    );
    const reply = await done;
    expect(reply).toMatch(/^HTTP\/1\.1 401/);
    expect(reply.toLowerCase()).toContain('connection: close');
  }, 60_000);
});
