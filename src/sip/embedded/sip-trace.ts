import type { RemoteAddress } from './transport/sip-transport.js';

export interface SipTraceEntry {
  readonly direction: 'sent' | 'received';
  readonly remote: RemoteAddress;
  /** ms since the epoch. */
  readonly at: number;
  readonly raw: Buffer;
}

/** Receives every message the engine sends or accepts, in order (for `probe --trace`). */
export type SipTraceSink = (entry: SipTraceEntry) => void;
