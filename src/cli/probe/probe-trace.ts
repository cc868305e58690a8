import type { SipTraceEntry } from '../../sip/index.js';

export interface ProbeTraceLine {
  /** ms since the probe's first message. */
  readonly atMs: number;
  readonly direction: 'sent' | 'received';
  readonly remote: string;
  /** Request line or status line. */
  readonly firstLine: string;
  readonly raw: string;
}

/** Collects what the engine sent and received, for the timeline and `--trace`. */
export class ProbeTrace {
  readonly lines: ProbeTraceLine[] = [];
  #start: number | undefined;

  readonly sink = (entry: SipTraceEntry): void => {
    this.#start ??= entry.at;
    const raw = entry.raw.toString('utf8');
    this.lines.push({
      atMs: entry.at - this.#start,
      direction: entry.direction,
      remote: `${entry.remote.transport}:${entry.remote.address}:${entry.remote.port}`,
      firstLine: raw.slice(0, raw.indexOf('\r\n') === -1 ? raw.length : raw.indexOf('\r\n')),
      raw,
    });
  };
}
