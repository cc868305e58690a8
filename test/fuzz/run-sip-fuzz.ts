import { createSocket, type Socket } from 'node:dgram';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createLogger } from '../../src/log/create-logger.js';
import { EmbeddedSipEngine } from '../../src/sip/embedded/embedded-engine.js';
import {
  parseMessage,
  parseNameAddr,
  parseUri,
  parseVia,
  SipParseError,
  type SipMessage,
} from '../../src/sip/embedded/message/index.js';
import { SipFuzzCorpus, type LiveIds } from './sip-fuzz-corpus.js';

export interface SipFuzzOptions {
  readonly count: number;
  readonly seed?: number;
  /** An OPTIONS ping must be answered after every this many messages (the engine is not stuck). */
  readonly probeEvery?: number;
  /** A real call from the engine to the fuzzer every this many messages (its transaction gets fuzzed). */
  readonly callEvery?: number;
  readonly onProgress?: (done: number) => void;
}

export interface SipFuzzReport {
  readonly messages: number;
  readonly parsed: number;
  /** Refused with a SipParseError, as they should be. */
  readonly refused: number;
  /** Anything thrown that is not a SipParseError: a parser bug. */
  readonly crashes: readonly string[];
  /** Messages the engine caught an unexpected error on while handling (it logs and drops them). */
  readonly handlerErrors: number;
  readonly handlerErrorSamples: readonly string[];
  /** Requests dropped unanswered because a reply would have copied a NUL or CR/LF from them. */
  readonly unanswerable: number;
  readonly probes: number;
  readonly probesUnanswered: number;
  readonly calls: number;
  readonly callsSettled: number;
  readonly engine: { malformed: number; strayResponses: number; transactions: number; calls: number };
  readonly heapBeforeMB: number;
  readonly heapAfterMB: number;
  readonly elapsedMs: number;
}

const SDP =
  'v=0\r\no=- 1 0 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n';

/** A full collection, when the runtime lets us ask for one (it does with --expose-gc or this flag trick). */
function collect(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (() => void) | undefined;
  gc?.();
  gc?.();
}

function heapMB(): number {
  collect();
  return process.memoryUsage().heapUsed / 1_048_576;
}

/** Every parser a message's parts go through on the way in; only SipParseError may come out. */
function parseAll(bytes: Buffer): SipMessage {
  const message = parseMessage(bytes);
  for (const name of ['From', 'To', 'Contact']) {
    const value = message.headers.get(name);
    if (value !== undefined && value !== '*') tolerate(() => parseNameAddr(value));
  }
  const via = message.headers.get('Via');
  if (via !== undefined) tolerate(() => parseVia(via));
  if (message.type === 'request') tolerate(() => parseUri(message.uri));
  return message;
}

function tolerate(parse: () => unknown): void {
  try {
    parse();
  } catch (error) {
    if (!(error instanceof SipParseError)) throw error;
  }
}

function sendTo(socket: Socket, port: number, data: Buffer): Promise<void> {
  return new Promise((resolve) => socket.send(data, port, '127.0.0.1', () => resolve()));
}

/**
 * Pushes generated and mutated SIP messages through the parsers in-process and, as UDP datagrams,
 * through a running EmbeddedSipEngine (transport, transaction and dialog layers), while the engine
 * places real calls to the fuzzer so that fuzzed responses meet live transactions.
 */
export async function runSipFuzz(options: SipFuzzOptions): Promise<SipFuzzReport> {
  const started = Date.now();
  const corpus = new SipFuzzCorpus(options.seed ?? 4475);
  const probeEvery = options.probeEvery ?? 5000;
  const callEvery = options.callEvery ?? 2000;
  let handlerErrors = 0;
  let unanswerable = 0;
  const handlerErrorSamples: string[] = [];
  const logger = createLogger({
    level: 'warn',
    destination: {
      write: (line: string) => {
        // The stack logs and drops what it cannot handle. Expected there: a header that does not
        // parse, and a reply that would copy a NUL (RFC 4475 escnull) which the serializer refuses
        // to put on the wire. Anything else is a bug in a handler.
        if (!line.includes('could not be handled')) return;
        if (line.includes('SipSerializeError')) unanswerable++;
        else if (!line.includes('SipParseError')) {
          handlerErrors++;
          if (handlerErrorSamples.length < 5) handlerErrorSamples.push(line.slice(0, 400));
        }
      },
    },
  });
  // Short timers: a call whose CANCEL the fuzzer never answers ends in seconds (Timer B/C are 64·T1).
  const engine = new EmbeddedSipEngine({
    listen: { host: '127.0.0.1', port: 0 },
    logger,
    timers: { t1: 50, t2: 400, t4: 500 },
  });
  await engine.start();
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const port = socket.address().port;

  let live: LiveIds | undefined;
  const probeWaiters = new Map<string, () => void>();
  socket.on('message', (data) => {
    let message: SipMessage;
    try {
      message = parseMessage(data);
    } catch {
      return;
    }
    const callId = message.headers.get('Call-ID') ?? '';
    if (message.type === 'response') {
      probeWaiters.get(callId)?.();
      return;
    }
    if (message.method === 'INVITE') {
      const h = message.headers;
      live = {
        via: h.get('Via') ?? '',
        from: h.get('From') ?? '',
        to: `${h.get('To') ?? ''};tag=fz${callId.length}`,
        callId,
        cseq: h.get('CSeq') ?? '1 INVITE',
      };
    }
  });

  const heapBeforeMB = heapMB();
  let parsed = 0;
  let refused = 0;
  const crashes: string[] = [];
  let probes = 0;
  let probesUnanswered = 0;
  let calls = 0;
  let callsSettled = 0;
  let call: AbortController | undefined;
  const pending: Array<Promise<void>> = [];

  for (let i = 0; i < options.count; i++) {
    const bytes = corpus.next(port, live);
    try {
      parseAll(bytes);
      parsed++;
    } catch (error) {
      if (error instanceof SipParseError) refused++;
      else if (crashes.length < 20)
        crashes.push(`#${i}: ${String(error)}: ${JSON.stringify(bytes.toString('latin1').slice(0, 200))}`);
    }
    pending.push(sendTo(socket, engine.localPort, bytes));
    // Let the engine's socket drain now and then: a flood faster than it reads only tests the kernel.
    if (pending.length >= 64) {
      await Promise.all(pending.splice(0));
      await new Promise((r) => setImmediate(r));
    }

    if (i % callEvery === 0) {
      call?.abort();
      const controller = new AbortController();
      call = controller;
      calls++;
      live = undefined;
      void engine
        .invite({
          trunk: { name: 'fuzz', domain: 'fuzz.test', proxy: `127.0.0.1:${port}` },
          uri: 'sip:1@fuzz.test',
          sdp: SDP,
          ringTimeoutMs: 1000,
          signal: controller.signal,
        })
        .then(
          async (leg) => {
            callsSettled++;
            await leg.hangup().catch(() => undefined);
          },
          () => {
            callsSettled++;
          },
        );
    }

    if ((i + 1) % probeEvery === 0) {
      probes++;
      const id = `probe-${i}`;
      const answered = new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 5000);
        probeWaiters.set(id, () => {
          clearTimeout(timer);
          resolve(true);
        });
      });
      await sendTo(
        socket,
        engine.localPort,
        Buffer.from(
          `OPTIONS sip:dialer@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK${id}\r\nFrom: <sip:fuzz@b>;tag=p\r\nTo: <sip:dialer@127.0.0.1>\r\nCall-ID: ${id}\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`,
        ),
      );
      if (!(await answered)) probesUnanswered++;
      probeWaiters.delete(id);
      options.onProgress?.(i + 1);
    }
  }
  await Promise.all(pending);
  call?.abort();
  // Every call ends: answered ones are hung up, the rest fail or are cancelled (Timer B at worst).
  const settleBy = Date.now() + 40_000;
  while (callsSettled < calls && Date.now() < settleBy) await new Promise((r) => setTimeout(r, 50));
  const engineStats = engine.stats;
  await engine.close();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return {
    messages: options.count,
    parsed,
    refused,
    crashes,
    handlerErrors,
    handlerErrorSamples,
    unanswerable,
    probes,
    probesUnanswered,
    calls,
    callsSettled,
    engine: engineStats,
    heapBeforeMB,
    heapAfterMB: heapMB(),
    elapsedMs: Date.now() - started,
  };
}
