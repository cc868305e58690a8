import { parseCSeq } from './message/parse-cseq.js';
import { parseVia } from './message/parse-via.js';
import type { SipRequest } from './message/sip-message.js';
import type { Clock, TimerHandle } from './transaction/sip-timers.js';
import type { RemoteAddress } from './transport/sip-transport.js';

interface Entry {
  bytes: Buffer;
  remote: RemoteAddress;
  timer: TimerHandle;
}

/**
 * The stateless half of a UAS server transaction: the last response sent for each request,
 * kept 64×T1 so a retransmitted request gets the same answer instead of being handled twice.
 */
export class ServerResponseCache {
  readonly #entries = new Map<string, Entry>();

  constructor(
    private readonly clock: Clock,
    private readonly lingerMs: number,
  ) {}

  static keyOf(request: SipRequest): string | undefined {
    const via = request.headers.get('Via');
    const cseq = request.headers.get('CSeq');
    if (via === undefined || cseq === undefined) return undefined;
    const branch = parseVia(via).params.get('branch') ?? '';
    return `${branch}|${parseCSeq(cseq).seq}|${request.method}|${request.headers.get('Call-ID') ?? ''}`;
  }

  lookup(key: string): { bytes: Buffer; remote: RemoteAddress } | undefined {
    return this.#entries.get(key);
  }

  remember(key: string, bytes: Buffer, remote: RemoteAddress): void {
    this.#entries.get(key)?.timer.cancel();
    const timer = this.clock.setTimer(this.lingerMs, () => this.#entries.delete(key));
    this.#entries.set(key, { bytes, remote, timer });
  }

  get size(): number {
    return this.#entries.size;
  }

  close(): void {
    for (const entry of this.#entries.values()) entry.timer.cancel();
    this.#entries.clear();
  }
}
