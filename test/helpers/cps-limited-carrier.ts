import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';

export interface CpsLimitedCarrierOptions {
  /** The UAS that answers the calls let through (a sipp UAS): `host:port`. */
  readonly target: string;
  /** INVITEs accepted in any sliding second; the next one in that second gets 503. */
  readonly limit: number;
  /** Retry-After of the 503, seconds. Default 1. */
  readonly retryAfterSec?: number;
}

/** One new INVITE as the carrier saw it: when (performance.now() ms) and whether it was let through. */
export interface CarrierInvite {
  readonly at: number;
  readonly accepted: boolean;
  /** The dialer address it came from, `host:port`: one per worker process. */
  readonly from: string;
}

const HOST = '127.0.0.1';
const FIRST_LINE = /^([A-Z]+) \S+ SIP\/2\.0\r\n/;
const CALL_ID = /\r\n(?:Call-ID|i)[ \t]*:[ \t]*([^\r\n]+)/i;
const TO_TAG = /\r\n(?:To|t)[ \t]*:[^\r\n]*;[ \t]*tag=/i;
/** Headers a response copies from its request (RFC 3261 §8.2.6.2), in full or compact form. */
const COPIED = /^(?:via|v|from|f|to|t|call-id|i|cseq)[ \t]*:/i;

/**
 * A carrier that enforces a calls-per-second limit the way many do: it counts the INVITEs it let
 * through in the last 1000 ms and answers any new one above `limit` with 503 "CPS Limit
 * Exceeded" and Retry-After, itself. Everything else (INVITEs let through, their ACK and BYE, and
 * the answers) is relayed to and from the UAS, one upstream socket per dialer address so answers
 * reach the worker that asked. Refused INVITEs do not count towards the limit.
 */
export class CpsLimitedCarrier {
  readonly #front: Socket;
  readonly #upstream = new Map<string, Socket>();
  readonly #targetHost: string;
  readonly #targetPort: number;
  readonly #limit: number;
  readonly #retryAfterSec: number;
  /** Times of the INVITEs let through within the last second, oldest first. */
  readonly #window: number[] = [];
  readonly #refused = new Map<string, Buffer>();
  readonly #accepted = new Set<string>();
  readonly #invites: CarrierInvite[] = [];
  #closed = false;

  private constructor(front: Socket, options: CpsLimitedCarrierOptions) {
    this.#front = front;
    const i = options.target.lastIndexOf(':');
    this.#targetHost = options.target.slice(0, i);
    this.#targetPort = Number(options.target.slice(i + 1));
    this.#limit = options.limit;
    this.#retryAfterSec = options.retryAfterSec ?? 1;
    front.on('message', (msg, rinfo) => this.#fromDialer(msg, rinfo));
  }

  static async start(options: CpsLimitedCarrierOptions): Promise<CpsLimitedCarrier> {
    const front = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      front.once('error', reject);
      front.bind(0, HOST, () => resolve());
    });
    return new CpsLimitedCarrier(front, options);
  }

  /** `127.0.0.1:port`: the dialer's trunk proxy. */
  get uri(): string {
    return `${HOST}:${this.#front.address().port}`;
  }

  /** Every new INVITE so far (retransmissions left out), in arrival order. */
  get invites(): readonly CarrierInvite[] {
    return this.#invites;
  }

  #fromDialer(msg: Buffer, rinfo: RemoteInfo): void {
    if (this.#closed) return;
    const text = msg.toString('latin1');
    const method = FIRST_LINE.exec(text)?.[1];
    const callId = CALL_ID.exec(text)?.[1]?.trim();
    if (callId !== undefined && method === 'INVITE' && !TO_TAG.test(text)) {
      const refusal = this.#refused.get(callId);
      if (refusal !== undefined) {
        this.#front.send(refusal, rinfo.port, rinfo.address);
        return;
      }
      if (!this.#accepted.has(callId) && !this.#admit(callId, `${rinfo.address}:${rinfo.port}`)) {
        const response = this.#refusal(text);
        this.#refused.set(callId, response);
        this.#front.send(response, rinfo.port, rinfo.address);
        return;
      }
    } else if (callId !== undefined && method === 'ACK' && this.#refused.has(callId)) {
      return; // the ACK of our own 503: the UAS never saw that INVITE
    }
    this.#relay(msg, rinfo);
  }

  #admit(callId: string, from: string): boolean {
    const now = performance.now();
    while (this.#window.length > 0 && this.#window[0]! <= now - 1000) this.#window.shift();
    const accepted = this.#window.length < this.#limit;
    this.#invites.push({ at: now, accepted, from });
    if (accepted) {
      this.#window.push(now);
      this.#accepted.add(callId);
    }
    return accepted;
  }

  #refusal(request: string): Buffer {
    const head = request.slice(0, request.indexOf('\r\n\r\n'));
    const lines = head
      .split('\r\n')
      .slice(1)
      .filter((line) => COPIED.test(line));
    const withTag = lines.map((line) =>
      /^(?:to|t)[ \t]*:/i.test(line) && !/;[ \t]*tag=/i.test(line)
        ? `${line};tag=cps${this.#invites.length}`
        : line,
    );
    return Buffer.from(
      [
        'SIP/2.0 503 CPS Limit Exceeded',
        ...withTag,
        `Retry-After: ${this.#retryAfterSec}`,
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
      'latin1',
    );
  }

  #relay(msg: Buffer, rinfo: RemoteInfo): void {
    const client = `${rinfo.address}:${rinfo.port}`;
    let upstream = this.#upstream.get(client);
    if (upstream === undefined) {
      const socket = createSocket('udp4');
      socket.on('message', (reply) => {
        if (!this.#closed) this.#front.send(reply, rinfo.port, rinfo.address);
      });
      // A send to a UAS that is gone gives ICMP errors on some systems; the datagram is just lost.
      socket.on('error', () => undefined);
      socket.bind(0, HOST);
      this.#upstream.set(client, socket);
      upstream = socket;
    }
    upstream.send(msg, this.#targetPort, this.#targetHost);
  }

  /** Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const sockets = [this.#front, ...this.#upstream.values()];
    await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}
