import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

const HOST = '127.0.0.1';

/** A UDP port on 127.0.0.1 that nothing was bound to a moment ago. */
export async function freeUdpPort(): Promise<number> {
  return bindUdp(0);
}

/** A TCP port on 127.0.0.1 that nothing was listening on a moment ago. */
export async function freeTcpPort(): Promise<number> {
  return listenTcp(0);
}

/**
 * A port number free for both UDP and TCP on 127.0.0.1: a SIP peer on one port answers on either
 * transport, and the engine under test sends REGISTER and INVITE from the same one.
 */
export async function freePortPair(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    // Drawn below the kernel's ephemeral range (32768-60999 on Linux): a port the kernel hands out
    // as free is handed out again to the next outgoing socket (a Redis client, sipp), which can
    // take it before the worker under test binds it. Seen as EADDRINUSE in a worker's start under
    // load. RTP ranges of test workers start at 30000.
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    if ((await tcpPortIsFree(port)) && (await udpPortIsFree(port))) return port;
  }
  throw new Error(`no port free for both UDP and TCP on ${HOST} after 200 attempts`);
}

/** Whether every UDP port from `first` to `last` on 127.0.0.1 can be bound right now. */
export async function udpPortsAreFree(first: number, last: number): Promise<boolean> {
  const ports = Array.from({ length: last - first + 1 }, (_, i) => first + i);
  const free = await Promise.all(ports.map((port) => udpPortIsFree(port)));
  return free.every(Boolean);
}

async function tcpPortIsFree(port: number): Promise<boolean> {
  try {
    await listenTcp(port);
    return true;
  } catch {
    return false;
  }
}

async function udpPortIsFree(port: number): Promise<boolean> {
  try {
    await bindUdp(port);
    return true;
  } catch {
    return false;
  }
}

function bindUdp(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', (err) => {
      socket.close();
      reject(err);
    });
    socket.bind(port, HOST, () => {
      const bound = socket.address().port;
      socket.close(() => resolve(bound));
    });
  });
}

function listenTcp(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port, host: HOST, exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(bound));
    });
  });
}
