import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

function freeTcp(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => resolve(false));
    socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
  });
}

/** A loopback port free for both TCP and UDP right now (SIP may use either). */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await freeTcp();
    if (await udpFree(port)) return port;
  }
  throw new Error('no free loopback port found');
}
