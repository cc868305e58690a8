import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedSipEngine } from '../../../src/sip/embedded/embedded-engine.js';
import { parseMessage, type SipRequest } from '../../../src/sip/embedded/message/index.js';
import { SipFailure } from '../../../src/sip/sip-failure.js';

const SDP =
  'v=0\r\no=- 1 0 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n';

function reply(request: SipRequest, status: string, toTag: string): string {
  const h = request.headers;
  return `SIP/2.0 ${status}\r\nVia: ${h.get('Via')}\r\nFrom: ${h.get('From')}\r\nTo: ${h.get('To')};tag=${toTag}\r\nCall-ID: ${h.get('Call-ID')}\r\nCSeq: ${h.get('CSeq')}\r\nContent-Length: 0\r\n\r\n`;
}

describe('CANCEL that is never followed by a final response to the INVITE', () => {
  let engine: EmbeddedSipEngine | undefined;
  afterEach(async () => {
    await engine?.close();
  });

  // Found by the chaos run: a carrier that answered our CANCEL but never the INVITE held the call,
  // its channel and its job forever.
  it(
    'gives the INVITE up 64·T1 after the CANCEL (RFC 3261 §9.1), as a no-answer',
    { timeout: 20_000 },
    async () => {
      engine = new EmbeddedSipEngine({
        listen: { host: '127.0.0.1', port: 0 },
        timers: { t1: 50, t2: 400, t4: 500 },
      });
      await engine.start();
      const carrier = createSocket('udp4');
      await new Promise<void>((resolve) => carrier.bind(0, '127.0.0.1', () => resolve()));
      const seen: string[] = [];
      carrier.on('message', (data, rinfo) => {
        const message = parseMessage(data);
        if (message.type !== 'request') return;
        seen.push(message.method);
        const answer =
          message.method === 'INVITE'
            ? reply(message, '180 Ringing', 'c1')
            : message.method === 'CANCEL'
              ? reply(message, '200 OK', 'c1')
              : undefined;
        if (answer !== undefined) carrier.send(answer, rinfo.port, rinfo.address);
      });
      try {
        const error = await engine
          .invite({
            trunk: { name: 't', domain: 'carrier.test', proxy: `127.0.0.1:${carrier.address().port}` },
            uri: 'sip:1@carrier.test',
            sdp: SDP,
            ringTimeoutMs: 300,
          })
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        expect(error).toBeInstanceOf(SipFailure);
        expect((error as SipFailure).status).toBe(487);
        expect((error as SipFailure).cancelCause).toBe('ring-timeout');
        expect(seen).toContain('CANCEL');
        expect(engine.stats.calls).toBe(0);
      } finally {
        carrier.close();
      }
    },
  );
});
