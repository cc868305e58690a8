import type { Socket } from 'node:net';
import { SipTransportError } from './sip-transport-error.js';

/** Writes one message on a stream socket (TCP or TLS); a failed write names the transport and peer. */
export function writeToSocket(socket: Socket, data: Buffer, what: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    socket.write(data, (error) => {
      if (error) reject(new SipTransportError(`${what} failed: ${error.message}`, { cause: error }));
      else resolve();
    });
  });
}
