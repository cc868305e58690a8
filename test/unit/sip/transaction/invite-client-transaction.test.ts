import { describe, expect, it } from 'vitest';

import {
  createRequest,
  createResponse,
  parseMessage,
  parseVia,
  serializeMessage,
  SipHeaders,
  type SipRequest,
  type SipResponse,
} from '../../../../src/sip/embedded/message/index.js';
import type { ClientTransactionUser } from '../../../../src/sip/embedded/transaction/client-transaction.js';
import { InviteClientTransaction } from '../../../../src/sip/embedded/transaction/invite-client-transaction.js';
import {
  defaultSipTimers,
  type SipTimerValues,
} from '../../../../src/sip/embedded/transaction/sip-timers.js';
import type { RemoteAddress, TransportKind } from '../../../../src/sip/embedded/transport/sip-transport.js';
import { FakeClock } from '../../../helpers/fake-clock.js';

const BRANCH = 'z9hG4bKinvite1';
const REQUEST_URI = 'sip:+15551234567@carrier.test;user=phone';

function invite(transport: TransportKind): SipRequest {
  const headers = new SipHeaders()
    .append('Via', `SIP/2.0/${transport.toUpperCase()} 192.0.2.10:5060;rport;branch=${BRANCH}`)
    .append('Max-Forwards', '70')
    .append('Route', '<sip:edge1.carrier.test;lr>')
    .append('Route', '<sip:edge2.carrier.test;lr>')
    .append('From', '<sip:dialer@192.0.2.10>;tag=fromtag1')
    .append('To', '<sip:+15551234567@carrier.test>')
    .append('Call-ID', 'call-1@192.0.2.10')
    .append('CSeq', '7 INVITE')
    .append('Contact', '<sip:dialer@192.0.2.10:5060>');
  return createRequest('INVITE', REQUEST_URI, headers);
}

/** A response as the carrier would send it: the INVITE's Via, From, Call-ID and CSeq, a tagged To. */
function response(request: SipRequest, status: number, reason: string, toTag = 'totag9'): SipResponse {
  const headers = new SipHeaders();
  for (const via of request.headers.getAll('Via')) headers.append('Via', via);
  headers.append('From', request.headers.get('From') ?? '');
  headers.append(
    'To',
    status === 100 ? (request.headers.get('To') ?? '') : `<sip:+15551234567@carrier.test>;tag=${toTag}`,
  );
  headers.append('Call-ID', request.headers.get('Call-ID') ?? '');
  headers.append('CSeq', request.headers.get('CSeq') ?? '');
  return createResponse(status, reason, headers);
}

interface Sent {
  readonly at: number;
  readonly bytes: Buffer;
  readonly to: RemoteAddress;
}

type UserEvent =
  | { kind: 'response'; status: number; at: number }
  | { kind: 'timeout'; at: number }
  | { kind: 'transport-error'; message: string; at: number };

function setup(
  options: { transport?: TransportKind; timers?: SipTimerValues; send?: (n: number) => Promise<void> } = {},
) {
  const transport = options.transport ?? 'udp';
  const clock = new FakeClock();
  const request = invite(transport);
  const bytes = serializeMessage(request);
  const remote: RemoteAddress = { transport, address: '198.51.100.7', port: 5060 };
  const sent: Sent[] = [];
  const events: UserEvent[] = [];
  const terminatedAt: number[] = [];
  const user: ClientTransactionUser = {
    onResponse: (r) => events.push({ kind: 'response', status: r.status, at: clock.now() }),
    onTimeout: () => events.push({ kind: 'timeout', at: clock.now() }),
    onTransportError: (e) => events.push({ kind: 'transport-error', message: e.message, at: clock.now() }),
  };
  const transaction = new InviteClientTransaction(
    {
      request,
      bytes,
      remote,
      send: (data, to) => {
        sent.push({ at: clock.now(), bytes: data, to });
        return options.send ? options.send(sent.length) : Promise.resolve();
      },
      timers: options.timers ?? defaultSipTimers,
      clock,
      user,
      onTerminated: () => terminatedAt.push(clock.now()),
    },
    BRANCH,
  );
  return { clock, request, bytes, remote, sent, events, terminatedAt, transaction };
}

/** Lets rejected send promises reach the transaction's catch handler. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('InviteClientTransaction over UDP', () => {
  it('retransmits at T1, 2T1, 4T1… with no cap until Timer B (64·T1), then times out once', () => {
    const { clock, bytes, remote, sent, events, terminatedAt, transaction } = setup();
    transaction.start();
    clock.advance(40_000);
    // Intervals 500, 1000, 2000, 4000, 8000, 16000: Timer A doubles past T2 (4 s), RFC 3261 §17.1.1.2.
    expect(sent.map((s) => s.at)).toEqual([0, 500, 1500, 3500, 7500, 15500, 31500]);
    for (const s of sent) {
      expect(s.bytes.equals(bytes)).toBe(true);
      expect(s.to).toEqual(remote);
    }
    expect(events).toEqual([{ kind: 'timeout', at: 32_000 }]);
    expect(terminatedAt).toEqual([32_000]);
    expect(clock.pending).toBe(0);
    clock.advance(600_000);
    expect(sent).toHaveLength(7);
    expect(events).toHaveLength(1);
  });

  it('honours custom T1 (Timer A starts at T1, Timer B is 64·T1)', () => {
    const { clock, sent, events, transaction } = setup({ timers: { t1: 100, t2: 400, t4: 1000 } });
    transaction.start();
    clock.advance(10_000);
    expect(sent.map((s) => s.at)).toEqual([0, 100, 300, 700, 1500, 3100, 6300]);
    expect(events).toEqual([{ kind: 'timeout', at: 6400 }]);
  });

  it('stops retransmitting and cancels Timer B on a provisional; waits for the final as long as it takes', () => {
    const { clock, request, sent, events, transaction } = setup();
    transaction.start();
    clock.advance(600);
    expect(transaction.heardBack).toBe(false);
    transaction.receive(response(request, 180, 'Ringing'));
    expect(transaction.heardBack).toBe(true);
    expect(transaction.lastStatus).toBe(180);
    expect(clock.pending).toBe(0);
    clock.advance(10 * 60_000);
    expect(sent.map((s) => s.at)).toEqual([0, 500]);
    expect(events).toEqual([{ kind: 'response', status: 180, at: 600 }]);
  });

  it('passes every provisional up', () => {
    const { request, events, transaction } = setup();
    transaction.start();
    transaction.receive(response(request, 100, 'Trying'));
    transaction.receive(response(request, 180, 'Ringing'));
    transaction.receive(response(request, 183, 'Session Progress'));
    expect(events.map((e) => e.kind === 'response' && e.status)).toEqual([100, 180, 183]);
  });

  it('ACKs a non-2xx final once, with the INVITE branch, Request-URI, CSeq number, Route and the To tag', () => {
    const { clock, request, sent, events, transaction } = setup();
    transaction.start();
    clock.advance(700);
    transaction.receive(response(request, 180, 'Ringing'));
    clock.advance(300);
    transaction.receive(response(request, 486, 'Busy Here', 'busytag'));
    expect(events).toEqual([
      { kind: 'response', status: 180, at: 700 },
      { kind: 'response', status: 486, at: 1000 },
    ]);
    expect(sent).toHaveLength(3);
    const ackSent = sent[2];
    expect(ackSent?.at).toBe(1000);
    const ack = parseMessage(ackSent?.bytes ?? Buffer.alloc(0));
    if (ack.type !== 'request') throw new Error('expected a request');
    expect(ack.method).toBe('ACK');
    expect(ack.uri).toBe(REQUEST_URI);
    const vias = ack.headers.getAll('Via');
    expect(vias).toHaveLength(1);
    expect(parseVia(vias[0] ?? '').params.get('branch')).toBe(BRANCH);
    expect(ack.headers.get('CSeq')).toBe('7 ACK');
    expect(ack.headers.get('To')).toBe('<sip:+15551234567@carrier.test>;tag=busytag');
    expect(ack.headers.get('From')).toBe('<sip:dialer@192.0.2.10>;tag=fromtag1');
    expect(ack.headers.get('Call-ID')).toBe('call-1@192.0.2.10');
    expect(ack.headers.getAll('Route')).toEqual([
      '<sip:edge1.carrier.test;lr>',
      '<sip:edge2.carrier.test;lr>',
    ]);
    expect(ack.headers.get('Max-Forwards')).toBe('70');
    expect(ack.headers.has('Contact')).toBe(false);
    expect(ack.body.length).toBe(0);
  });

  it('re-ACKs each retransmitted final during Timer D (32 s), passes none of them up, then forgets', () => {
    const { clock, request, sent, events, terminatedAt, transaction } = setup();
    transaction.start();
    clock.advance(200);
    const busy = response(request, 486, 'Busy Here');
    transaction.receive(busy);
    const ack = sent[1]?.bytes;
    clock.advance(500);
    transaction.receive(busy);
    clock.advance(1000);
    transaction.receive(busy);
    expect(sent.map((s) => s.at)).toEqual([0, 200, 700, 1700]);
    for (const s of sent.slice(1)) expect(s.bytes.equals(ack ?? Buffer.alloc(0))).toBe(true);
    expect(events).toEqual([{ kind: 'response', status: 486, at: 200 }]);
    // No Timer A retransmission of the INVITE after the final, and Timer B never fires.
    clock.advanceTo(32_199);
    expect(terminatedAt).toEqual([]);
    transaction.receive(busy);
    expect(sent).toHaveLength(5);
    clock.advance(1);
    expect(terminatedAt).toEqual([32_200]);
    expect(clock.pending).toBe(0);
    transaction.receive(busy);
    expect(sent).toHaveLength(5);
    expect(events).toHaveLength(1);
  });

  it('passes a 2xx up without ACKing it, and retransmitted 2xx within 64·T1 too (RFC 6026 Accepted)', () => {
    const { clock, request, sent, events, terminatedAt, transaction } = setup();
    transaction.start();
    clock.advance(100);
    const ok = response(request, 200, 'OK');
    transaction.receive(ok);
    clock.advance(500);
    transaction.receive(ok);
    clock.advance(31_000);
    transaction.receive(ok);
    // A non-2xx in Accepted is not ours to pass up (the 2xx already won).
    transaction.receive(response(request, 500, 'Server Internal Error'));
    expect(events).toEqual([
      { kind: 'response', status: 200, at: 100 },
      { kind: 'response', status: 200, at: 600 },
      { kind: 'response', status: 200, at: 31_600 },
    ]);
    expect(sent.map((s) => s.at)).toEqual([0]);
    clock.advanceTo(32_099);
    expect(terminatedAt).toEqual([]);
    clock.advance(1);
    expect(terminatedAt).toEqual([32_100]);
    expect(clock.pending).toBe(0);
    transaction.receive(ok);
    expect(events).toHaveLength(3);
  });

  it('reports a failed send as a transport error and stops', async () => {
    const { clock, events, terminatedAt, transaction } = setup({
      send: () => Promise.reject(new Error('EHOSTUNREACH')),
    });
    transaction.start();
    await settle();
    expect(events).toEqual([{ kind: 'transport-error', message: 'EHOSTUNREACH', at: 0 }]);
    expect(terminatedAt).toEqual([0]);
    expect(clock.pending).toBe(0);
  });

  it('reports a failed retransmission as a transport error', async () => {
    const { clock, sent, events, transaction } = setup({
      send: (n) => (n === 3 ? Promise.reject(new Error('ENETUNREACH')) : Promise.resolve()),
    });
    transaction.start();
    clock.advance(1500);
    await settle();
    expect(sent).toHaveLength(3);
    expect(events).toEqual([{ kind: 'transport-error', message: 'ENETUNREACH', at: 1500 }]);
    clock.advance(60_000);
    expect(sent).toHaveLength(3);
    expect(events).toHaveLength(1);
  });

  it('terminate() cancels every timer and tells the user nothing', () => {
    const { clock, sent, events, terminatedAt, transaction } = setup();
    transaction.start();
    clock.advance(600);
    expect(clock.pending).toBe(2);
    transaction.terminate();
    transaction.terminate();
    expect(clock.pending).toBe(0);
    expect(terminatedAt).toEqual([600]);
    clock.advance(60_000);
    expect(sent).toHaveLength(2);
    expect(events).toEqual([]);
  });

  it('terminate() during Timer D stops it', () => {
    const { clock, request, transaction } = setup();
    transaction.start();
    transaction.receive(response(request, 603, 'Decline'));
    expect(clock.pending).toBe(1);
    transaction.terminate();
    expect(clock.pending).toBe(0);
  });
});

describe('InviteClientTransaction over TCP', () => {
  it('never retransmits, and Timer B still gives up after 64·T1', () => {
    const { clock, sent, events, transaction } = setup({ transport: 'tcp' });
    transaction.start();
    clock.advance(31_999);
    expect(sent.map((s) => s.at)).toEqual([0]);
    expect(events).toEqual([]);
    clock.advance(1);
    expect(events).toEqual([{ kind: 'timeout', at: 32_000 }]);
    expect(clock.pending).toBe(0);
  });

  it('ACKs a non-2xx final once and terminates at once (Timer D is 0)', () => {
    const { clock, request, sent, terminatedAt, transaction } = setup({ transport: 'tcp' });
    transaction.start();
    clock.advance(50);
    transaction.receive(response(request, 404, 'Not Found'));
    expect(sent).toHaveLength(2);
    const ack = parseMessage(sent[1]?.bytes ?? Buffer.alloc(0));
    expect(ack.type === 'request' && ack.method).toBe('ACK');
    expect(terminatedAt).toEqual([50]);
    expect(clock.pending).toBe(0);
  });
});
