import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';

export interface UdpRelayOptions {
  /** Where datagrams from the dialer go: `host:port` of the carrier. */
  readonly target: string;
  /** Share of datagrams dropped in each direction, 0 to 1. Default 0. */
  readonly dropRate?: number;
  /** Seed of the drop decisions, so a run can be repeated. Default 1. */
  readonly seed?: number;
}

export interface RelayStats {
  readonly forwarded: number;
  readonly dropped: number;
}

/** A call as the relay saw it pass: Call-ID, who sent the INVITE, whether it is over. */
interface RelayCall {
  readonly client: string;
  ended: boolean;
}

const HOST = '127.0.0.1';
const FIRST_LINE = /^(?:SIP\/2\.0 (\d{3})|([A-Z]+) )/;
const CALL_ID = /\r\n(?:Call-ID|i)[ \t]*:[ \t]*([^\r\n]+)/i;
const CSEQ_METHOD = /\r\nCSeq[ \t]*:[ \t]*\d+[ \t]+([A-Z]+)/i;

/** mulberry32: a small seeded generator, so the same seed drops the same datagrams. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A UDP relay between the dialer and the carrier that the chaos run owns: it drops a share of the
 * datagrams both ways, and keeps one upstream socket per dialer address, so the carrier sees each
 * worker as its own peer and answers reach the worker that asked.
 * It also tells, per worker address, how many calls are alive (INVITE seen, no BYE or final failure
 * yet): the chaos run kills a worker when it is in the middle of calls.
 */
export class UdpRelay {
  readonly #front: Socket;
  readonly #upstream = new Map<string, Socket>();
  readonly #calls = new Map<string, RelayCall>();
  readonly #random: () => number;
  #targetHost: string;
  #targetPort: number;
  #dropRate: number;
  #forwarded = 0;
  #dropped = 0;
  #closed = false;

  private constructor(front: Socket, options: UdpRelayOptions) {
    this.#front = front;
    [this.#targetHost, this.#targetPort] = splitHostPort(options.target);
    this.#dropRate = options.dropRate ?? 0;
    this.#random = seeded(options.seed ?? 1);
    front.on('message', (msg, rinfo) => this.#fromClient(msg, rinfo));
  }

  static async start(options: UdpRelayOptions): Promise<UdpRelay> {
    const front = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      front.once('error', reject);
      front.bind(0, HOST, () => resolve());
    });
    return new UdpRelay(front, options);
  }

  get port(): number {
    return this.#front.address().port;
  }

  /** `127.0.0.1:port`: the dialer's trunk proxy. */
  get uri(): string {
    return `${HOST}:${this.port}`;
  }

  get stats(): RelayStats {
    return { forwarded: this.#forwarded, dropped: this.#dropped };
  }

  set dropRate(rate: number) {
    this.#dropRate = rate;
  }

  /** Calls alive that the dialer at `127.0.0.1:port` started. */
  liveCalls(clientPort: number): number {
    const client = `${HOST}:${clientPort}`;
    let n = 0;
    for (const call of this.#calls.values()) if (call.client === client && !call.ended) n++;
    return n;
  }

  #drop(): boolean {
    if (this.#dropRate > 0 && this.#random() < this.#dropRate) {
      this.#dropped++;
      return true;
    }
    return false;
  }

  #fromClient(msg: Buffer, rinfo: RemoteInfo): void {
    const client = `${rinfo.address}:${rinfo.port}`;
    this.#track(msg, client);
    if (this.#drop()) return;
    let upstream = this.#upstream.get(client);
    if (upstream === undefined) {
      const socket = createSocket('udp4');
      socket.on('message', (reply) => {
        this.#track(reply, client);
        if (this.#closed || this.#drop()) return;
        this.#forwarded++;
        this.#front.send(reply, rinfo.port, rinfo.address);
      });
      // A send to a carrier that is down gives ICMP errors on some systems; the datagram is just lost.
      socket.on('error', () => undefined);
      socket.bind(0, HOST);
      this.#upstream.set(client, socket);
      upstream = socket;
    }
    this.#forwarded++;
    upstream.send(msg, this.#targetPort, this.#targetHost);
  }

  #track(msg: Buffer, client: string): void {
    const text = msg.toString('latin1', 0, Math.min(msg.length, 1500));
    const first = FIRST_LINE.exec(text);
    const callId = CALL_ID.exec(text)?.[1]?.trim();
    if (!first || callId === undefined) return;
    const status = first[1] !== undefined ? Number(first[1]) : undefined;
    const method = first[2];
    if (method === 'INVITE' && !this.#calls.has(callId)) {
      this.#calls.set(callId, { client, ended: false });
      return;
    }
    const call = this.#calls.get(callId);
    if (call === undefined) return;
    const cseqMethod = CSEQ_METHOD.exec(text)?.[1];
    if (
      method === 'BYE' ||
      method === 'CANCEL' ||
      (status !== undefined && status >= 300 && cseqMethod === 'INVITE')
    )
      call.ended = true;
  }

  /** Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const sockets = [this.#front, ...this.#upstream.values()];
    await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

function splitHostPort(hostPort: string): [string, number] {
  const i = hostPort.lastIndexOf(':');
  return [hostPort.slice(0, i), Number(hostPort.slice(i + 1))];
}
