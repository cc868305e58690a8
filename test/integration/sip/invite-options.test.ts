import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedSipEngine } from '../../../src/sip/index.js';
import { parseMessage, type SipRequest } from '../../../src/sip/embedded/message/index.js';
import { waitFor } from '../../helpers/wait-for.js';

describe('what the caller asks for reaches the INVITE on the wire', () => {
  let engine: EmbeddedSipEngine | undefined;
  afterEach(async () => {
    await engine?.close();
  });

  it(
    '`from` is the From user and a tel: caller ID is P-Asserted-Identity as given',
    { timeout: 30_000 },
    async () => {
      const carrier = createSocket('udp4');
      await new Promise<void>((resolve) => carrier.bind(0, '127.0.0.1', () => resolve()));
      let invite: SipRequest | undefined;
      carrier.on('message', (data, rinfo) => {
        const message = parseMessage(data);
        if (message.type !== 'request' || message.method !== 'INVITE') return;
        invite = message;
        const h = message.headers;
        carrier.send(
          `SIP/2.0 486 Busy Here\r\nVia: ${h.get('Via')}\r\nFrom: ${h.get('From')}\r\nTo: ${h.get('To')};tag=b\r\nCall-ID: ${h.get('Call-ID')}\r\nCSeq: ${h.get('CSeq')}\r\nContent-Length: 0\r\n\r\n`,
          rinfo.port,
          rinfo.address,
        );
      });
      try {
        engine = new EmbeddedSipEngine({ listen: { host: '127.0.0.1', port: 0 } });
        await engine.start();
        const failure = await engine
          .invite({
            trunk: { name: 't', domain: 'carrier.test', proxy: `127.0.0.1:${carrier.address().port}` },
            uri: 'sip:5534999990000@carrier.test',
            sdp: 'v=0\r\no=- 1 0 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n',
            from: 'dialer-7',
            callerId: 'tel:+442071838750',
            ringTimeoutMs: 5_000,
          })
          .then(
            () => undefined,
            (error: unknown) => error,
          );
        expect(failure).toMatchObject({ status: 486 });
        const sent = await waitFor(() => invite, { what: 'the INVITE at the carrier' });
        expect(sent.headers.get('From')).toMatch(/<sip:dialer-7@carrier\.test>;tag=/);
        expect(sent.headers.get('P-Asserted-Identity')).toBe('<tel:+442071838750>');
      } finally {
        carrier.close();
      }
    },
  );
});
