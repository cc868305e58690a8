import { connect } from 'node:net';

/** True when a Redis answers PING at host:port within `timeoutMs` (no client library: nothing to tear down). */
export function pingRedis(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let reply = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('utf8');
      // -NOAUTH also means a Redis is there, but one the demo cannot use without its password.
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}
