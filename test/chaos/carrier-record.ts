import type { WireMessage } from '../helpers/sipp.js';

/** One INVITE dialog as the carrier lived it. Times are ms since the epoch (sipp's clock). */
export interface CarrierDialog {
  readonly callId: string;
  /** Digits of the Request-URI's user part. */
  readonly number: string;
  readonly start: number;
  readonly end: number;
  /** The carrier's final answer to the INVITE (0 when it sent none). */
  readonly finalStatus: number;
  /** Every message of the dialog as `+ms sent|received METHOD|status`, for reports. */
  readonly story: readonly string[];
}

/** sipp's `2026-11-26 09:54:39.964436` (local time) as ms since the epoch. */
export function sippTime(m: WireMessage): number {
  return new Date(m.time.replace(' ', 'T')).getTime();
}

/** The user part of `sip:+5534…@host;params`, digits only. */
export function numberOfRequestUri(uri: string): string {
  const user = /^sips?:([^@;>]*)/i.exec(uri)?.[1] ?? uri;
  return user.replace(/\D/g, '');
}

/**
 * Every INVITE dialog one carrier instance saw, from its own message trace. A dialog starts with
 * the first INVITE received and ends with the first BYE either way or a final failure (≥ 300) sent
 * for the INVITE; a 2xx never ACKed within T2 of its last retransmission (sipp drops such a call
 * silently); otherwise with the last message seen for it, or `stoppedAt` when the carrier was
 * stopped first (a stopped carrier holds no call).
 */
export function carrierDialogs(messages: readonly WireMessage[], stoppedAt?: number): CarrierDialog[] {
  interface Open {
    callId: string;
    number: string;
    start: number;
    end?: number;
    last: number;
    finalStatus: number;
    acked: boolean;
    story: string[];
  }
  const byCallId = new Map<string, Open>();
  for (const m of messages) {
    const callId = m.headers['call-id'];
    if (callId === undefined) continue;
    const t = sippTime(m);
    let dialog = byCallId.get(callId);
    if (dialog === undefined) {
      if (m.direction !== 'received' || m.method !== 'INVITE' || m.requestUri === undefined) continue;
      dialog = {
        callId,
        number: numberOfRequestUri(m.requestUri),
        start: t,
        last: t,
        finalStatus: 0,
        acked: false,
        story: [],
      };
      byCallId.set(callId, dialog);
    }
    dialog.last = Math.max(dialog.last, t);
    const cseqText = m.headers['cseq'] ?? '';
    dialog.story.push(`+${t - dialog.start}ms ${m.direction} ${m.method ?? m.status ?? '?'} (${cseqText})`);
    const cseqMethod = m.headers['cseq']?.split(/\s+/)[1]?.toUpperCase();
    if (m.direction === 'sent' && m.status !== undefined && m.status >= 200 && cseqMethod === 'INVITE') {
      if (dialog.finalStatus === 0) dialog.finalStatus = m.status;
      if (m.status >= 300) dialog.end ??= t;
    }
    if (m.method === 'BYE') dialog.end ??= t;
    if (m.direction === 'received' && m.method === 'ACK') dialog.acked = true;
  }
  return [...byCallId.values()].map((d) => {
    let end = d.end ?? d.last;
    if (d.end === undefined && d.finalStatus >= 200 && d.finalStatus < 300 && !d.acked) {
      // A 2xx never ACKed: sipp retransmits it to its limit and then drops the call without a
      // word (a carrier gives up after 64·T1 too, RFC 3261 §13.3.1.4). The call ended within one
      // retransmission interval (T2, 4 s) of the last copy, or when the carrier stopped.
      end = Math.min(d.last + 4_000, stoppedAt ?? Infinity);
    } else if (d.end === undefined && stoppedAt !== undefined) end = Math.max(end, stoppedAt);
    return {
      callId: d.callId,
      number: d.number,
      start: d.start,
      end,
      finalStatus: d.finalStatus,
      story: d.story,
    };
  });
}

/** Pairs of dialogs to the same number whose lifetimes overlap. */
export function overlappingDialogs(dialogs: readonly CarrierDialog[]): Array<[CarrierDialog, CarrierDialog]> {
  const byNumber = new Map<string, CarrierDialog[]>();
  for (const d of dialogs) {
    const list = byNumber.get(d.number) ?? [];
    list.push(d);
    byNumber.set(d.number, list);
  }
  const overlaps: Array<[CarrierDialog, CarrierDialog]> = [];
  for (const list of byNumber.values()) {
    list.sort((a, b) => a.start - b.start);
    let longest: CarrierDialog | undefined;
    for (const d of list) {
      if (longest !== undefined && d.start < longest.end) overlaps.push([longest, d]);
      if (longest === undefined || d.end > longest.end) longest = d;
    }
  }
  return overlaps;
}
