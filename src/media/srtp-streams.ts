import type dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import type { Logger } from '../log/index.js';
import { isSrtpDrop, SrtpContext, type SrtpDropReason } from './srtp-context.js';
import type { SrtpKeys } from './srtp-negotiation.js';

/** Packets failing SRTP checks are warned about at most once per this long (a flood must not flood the log). */
const SRTP_WARN_EVERY_MS = 10_000;

/** What SRTP refused on a session: such packets are dropped, never taken as media. */
export interface SrtpReceiveStats {
  readonly suite: string;
  /** RTP and RTCP packets whose tag did not verify (a wrong key, tampering, another sender). */
  readonly authFailures: number;
  /** Packets seen before or too old for the replay window. */
  readonly replayed: number;
}

/**
 * One call's SRTP and SRTCP both ways (RFC 3711): protects what we send, and verifies what comes
 * in before anything else looks at it, dropping and counting what fails (a warning at most every
 * 10 s, with counts, never keys). Keys change with `rekey` when a new offer/answer settles them.
 */
export class SrtpStreams {
  readonly #logger: Logger;
  #out: SrtpContext;
  #in: SrtpContext;
  #keys: SrtpKeys;
  #authFailures = 0;
  #replayed = 0;
  #warnedAt: number | undefined;
  #unwarned = 0;

  constructor(keys: SrtpKeys, logger: Logger) {
    this.#logger = logger;
    this.#keys = keys;
    this.#out = new SrtpContext(keys.outbound);
    this.#in = new SrtpContext(keys.inbound);
  }

  /**
   * Takes the keys a new offer/answer in the dialog settled (RFC 4568 §7.1.4). A direction whose
   * key did not change keeps its context, so its rollover counter and replay window go on.
   */
  rekey(keys: SrtpKeys): void {
    if (!sameKey(this.#keys.outbound, keys.outbound)) this.#out = new SrtpContext(keys.outbound);
    if (!sameKey(this.#keys.inbound, keys.inbound)) this.#in = new SrtpContext(keys.inbound);
    this.#keys = keys;
  }

  protectRtp(packet: Buffer): Buffer {
    return this.#out.protectRtp(packet);
  }

  protectRtcp(packet: Buffer): Buffer {
    return this.#out.protectRtcp(packet);
  }

  /** The plain packet, or why it was dropped (counted, and warned about, here; `malformed` is the caller's to count). */
  unprotectRtp(packet: Buffer, rinfo: dgram.RemoteInfo): Buffer | SrtpDropReason {
    const plain = this.#in.unprotectRtp(packet);
    return isSrtpDrop(plain) ? this.#dropped(plain.dropped, 'RTP', rinfo) : plain;
  }

  unprotectRtcp(packet: Buffer, rinfo: dgram.RemoteInfo): Buffer | SrtpDropReason {
    const plain = this.#in.unprotectRtcp(packet);
    return isSrtpDrop(plain) ? this.#dropped(plain.dropped, 'RTCP', rinfo) : plain;
  }

  get stats(): SrtpReceiveStats {
    return { suite: this.#keys.inbound.suite, authFailures: this.#authFailures, replayed: this.#replayed };
  }

  /** Counts a packet SRTP refused and warns, at most once per SRTP_WARN_EVERY_MS. */
  #dropped(reason: SrtpDropReason, what: 'RTP' | 'RTCP', rinfo: dgram.RemoteInfo): SrtpDropReason {
    if (reason === 'auth') this.#authFailures++;
    else if (reason === 'replay') this.#replayed++;
    const now = performance.now();
    if (this.#warnedAt !== undefined && now - this.#warnedAt < SRTP_WARN_EVERY_MS) {
      this.#unwarned++;
    } else {
      this.#logger.warn(
        {
          reason,
          from: `${rinfo.address}:${rinfo.port}`,
          authFailures: this.#authFailures,
          replayed: this.#replayed,
          sinceLastWarning: this.#unwarned,
        },
        `S${what} packet dropped: ${reason === 'auth' ? 'authentication failed (wrong key or tampered)' : reason === 'replay' ? 'replayed' : 'malformed'}`,
      );
      this.#warnedAt = now;
      this.#unwarned = 0;
    }
    return reason;
  }
}

function sameKey(a: SrtpKeys['inbound'], b: SrtpKeys['inbound']): boolean {
  return (
    a.suite === b.suite &&
    a.masterKey.equals(b.masterKey) &&
    a.masterSalt.equals(b.masterSalt) &&
    a.mki?.value === b.mki?.value &&
    a.mki?.length === b.mki?.length
  );
}
