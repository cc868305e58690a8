import { describe, expect, it } from 'vitest';

import {
  createRequest,
  createResponse,
  serializeMessage,
  SipHeaders,
  type SipRequest,
  type SipResponse,
} from '../../../../src/sip/embedded/message/index.js';
import type { ClientTransactionUser } from '../../../../src/sip/embedded/transaction/client-transaction.js';
import { NonInviteClientTransaction } from '../../../../src/sip/embedded/transaction/non-invite-client-transaction.js';
import {
  defaultSipTimers,
  type SipTimerValues,
} from '../../../../src/sip/embedded/transaction/sip-timers.js';
import type { RemoteAddress, TransportKind } from '../../../../src/sip/embedded/transport/sip-transport.js';
import { FakeClock } from '../../../helpers/fake-clock.js';

const BRANCH = 'z9hG4bKregister1';

function register(transport: TransportKind): SipRequest {
  const headers = new SipHeaders()
    .append('Via', `SIP/2.0/${transport.toUpperCase()} 192.0.2.10:5060;rport;branch=${BRANCH}`)
    .append('Max-Forwards', '70')
    .append('From', '<sip:dialer@carrier.test>;tag=fromtag1')
    .append('To', '<sip:dialer@carrier.test>')
    .append('Call-ID', 'reg-1@192.0.2.10')
    .append('CSeq', '3 REGISTER')
    .append('Contact', '<sip:dialer@192.0.2.10:5060>')
    .append('Expires', '3600');
  return createRequest('REGISTER', 'sip:carrier.test', headers);
}

function response(request: SipRequest, status: number, reason: string): SipResponse {
  const headers = new SipHeaders();
  for (const via of request.headers.getAll('Via')) headers.append('Via', via);
  headers.append('From', request.headers.get('From') ?? '');
  headers.append('To', `${request.headers.get('To') ?? ''};tag=registrar1`);
  headers.append('Call-ID', request.headers.get('Call-ID') ?? '');
  headers.append('CSeq', request.headers.get('CSeq') ?? '');
  return createResponse(status, reason, headers);
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
  const request = register(transport);
  const bytes = serializeMessage(request);
  const remote: RemoteAddress = { transport, address: '198.51.100.7', port: 5060 };
  const sent: Array<{ at: number; bytes: Buffer; to: RemoteAddress }> = [];
  const events: UserEvent[] = [];
  const terminatedAt: number[] = [];
  const user: ClientTransactionUser = {
    onResponse: (r) => events.push({ kind: 'response', status: r.status, at: clock.now() }),
    onTimeout: () => events.push({ kind: 'timeout', at: clock.now() }),
    onTransportError: (e) => events.push({ kind: 'transport-error', message: e.message, at: clock.now() }),
  };
  const transaction = new NonInviteClientTransaction(
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

describe('NonInviteClientTransaction over UDP', () => {
  it('doubles Timer E from T1 up to T2, then stays at T2, until Timer F (64·T1) times out', () => {
    const { clock, bytes, remote, sent, events, terminatedAt, transaction } = setup();
    expect(transaction.method).toBe('REGISTER');
    transaction.start();
    clock.advance(60_000);
    // Intervals 500, 1000, 2000, then 4000 (T2) for good: RFC 3261 §17.1.2.2.
    expect(sent.map((s) => s.at)).toEqual([
      0, 500, 1500, 3500, 7500, 11_500, 15_500, 19_500, 23_500, 27_500, 31_500,
    ]);
    for (const s of sent) {
      expect(s.bytes.equals(bytes)).toBe(true);
      expect(s.to).toEqual(remote);
    }
    expect(events).toEqual([{ kind: 'timeout', at: 32_000 }]);
    expect(terminatedAt).toEqual([32_000]);
    expect(clock.pending).toBe(0);
  });

  it('honours custom T1 and T2', () => {
    const { clock, sent, events, transaction } = setup({ timers: { t1: 100, t2: 400, t4: 1000 } });
    transaction.start();
    clock.advance(10_000);
    const times = sent.map((s) => s.at);
    expect(times.slice(0, 6)).toEqual([0, 100, 300, 700, 1100, 1500]);
    const gaps = times.slice(1).map((t, i) => t - (times[i] ?? 0));
    expect(gaps.slice(3).every((gap) => gap === 400)).toBe(true);
    expect(times.at(-1)).toBe(6300);
    expect(events).toEqual([{ kind: 'timeout', at: 6400 }]);
  });

  it('in Proceeding retransmits every T2 (the armed Timer E runs out first), and Timer F still applies', () => {
    const { clock, request, sent, events, transaction } = setup();
    transaction.start();
    clock.advance(600);
    transaction.receive(response(request, 100, 'Trying'));
    clock.advance(60_000);
    expect(sent.map((s) => s.at)).toEqual([0, 500, 1500, 5500, 9500, 13_500, 17_500, 21_500, 25_500, 29_500]);
    expect(events).toEqual([
      { kind: 'response', status: 100, at: 600 },
      { kind: 'timeout', at: 32_000 },
    ]);
  });

  it('a provisional before the first retransmission makes the next interval T2, not 2·T1', () => {
    const { clock, request, sent, transaction } = setup();
    transaction.start();
    clock.advance(100);
    transaction.receive(response(request, 100, 'Trying'));
    clock.advance(9000);
    expect(sent.map((s) => s.at)).toEqual([0, 500, 4500, 8500]);
  });

  it('passes the final up, stops retransmitting, absorbs late finals during Timer K (T4), then forgets', () => {
    const { clock, request, sent, events, terminatedAt, transaction } = setup();
    transaction.start();
    clock.advance(700);
    const ok = response(request, 200, 'OK');
    transaction.receive(ok);
    expect(transaction.lastStatus).toBe(200);
    clock.advance(1000);
    transaction.receive(ok);
    transaction.receive(response(request, 100, 'Trying'));
    clock.advanceTo(5699);
    expect(terminatedAt).toEqual([]);
    clock.advance(1);
    expect(terminatedAt).toEqual([5700]);
    expect(clock.pending).toBe(0);
    clock.advance(60_000);
    expect(sent.map((s) => s.at)).toEqual([0, 500]);
    expect(events).toEqual([{ kind: 'response', status: 200, at: 700 }]);
  });

  it('Timer K follows a custom T4', () => {
    const { clock, request, terminatedAt, transaction } = setup({ timers: { t1: 500, t2: 4000, t4: 2500 } });
    transaction.start();
    transaction.receive(response(request, 403, 'Forbidden'));
    clock.advance(2499);
    expect(terminatedAt).toEqual([]);
    clock.advance(1);
    expect(terminatedAt).toEqual([2500]);
  });

  it('reports a failed send as a transport error and stops', async () => {
    const { clock, sent, events, terminatedAt, transaction } = setup({
      send: () => Promise.reject(new Error('EHOSTUNREACH')),
    });
    transaction.start();
    await settle();
    expect(events).toEqual([{ kind: 'transport-error', message: 'EHOSTUNREACH', at: 0 }]);
    expect(terminatedAt).toEqual([0]);
    expect(clock.pending).toBe(0);
    clock.advance(60_000);
    expect(sent).toHaveLength(1);
  });

  it('terminate() cancels every timer and tells the user nothing', () => {
    const { clock, sent, events, terminatedAt, transaction } = setup();
    transaction.start();
    clock.advance(2000);
    expect(clock.pending).toBe(2);
    transaction.terminate();
    transaction.terminate();
    expect(clock.pending).toBe(0);
    expect(terminatedAt).toEqual([2000]);
    clock.advance(60_000);
    expect(sent).toHaveLength(3);
    expect(events).toEqual([]);
  });

  it('terminate() during Timer K stops it', () => {
    const { clock, request, transaction } = setup();
    transaction.start();
    transaction.receive(response(request, 200, 'OK'));
    expect(clock.pending).toBe(1);
    transaction.terminate();
    expect(clock.pending).toBe(0);
  });
});

describe('NonInviteClientTransaction over TCP', () => {
  it('never retransmits, and Timer F still gives up after 64·T1', () => {
    const { clock, sent, events, transaction } = setup({ transport: 'tcp' });
    transaction.start();
    clock.advance(31_999);
    expect(sent.map((s) => s.at)).toEqual([0]);
    expect(events).toEqual([]);
    clock.advance(1);
    expect(events).toEqual([{ kind: 'timeout', at: 32_000 }]);
    expect(clock.pending).toBe(0);
  });

  it('terminates as soon as the final arrives (Timer K is 0)', () => {
    const { clock, request, events, terminatedAt, transaction } = setup({ transport: 'tcp' });
    transaction.start();
    clock.advance(80);
    transaction.receive(response(request, 200, 'OK'));
    expect(events).toEqual([{ kind: 'response', status: 200, at: 80 }]);
    expect(terminatedAt).toEqual([80]);
    expect(clock.pending).toBe(0);
  });
});
