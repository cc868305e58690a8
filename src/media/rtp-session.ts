import { randomBytes, randomInt } from 'node:crypto';
import type dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { TypedEventEmitter } from '../kernel/index.js';
import { silentLogger, type Logger } from '../log/index.js';
import { decodeG711, g711AudioOf, type G711Audio } from './g711.js';
import { MediaScheduler, type PacedHandle, type PacedStream } from './media-scheduler.js';
import { MediaSessionError } from './media-session-error.js';
import type { RtpPortLease } from './port-pool.js';
import { buildRtcpCompound, parseRtcp, type LastSenderReport, type RemoteReport } from './rtcp.js';
import { parseRtpPacket, RTP_HEADER_LENGTH, writeRtpHeader } from './rtp-packet.js';
import { RtpReceiveStats } from './rtp-receive-stats.js';
import { RtpFormat, type RtpCodec } from './rtp-format.js';
import type { SrtpKeys } from './srtp-negotiation.js';
import { SrtpStreams, type SrtpReceiveStats } from './srtp-streams.js';
import type { G711Codec } from './sdp.js';
import {
  dtmfEventCode,
  parseTelephoneEvent,
  TELEPHONE_EVENT_LENGTH,
  type DtmfDigit,
} from './telephone-event.js';
import { TelephoneEventReceiver } from './telephone-event-receiver.js';
import { TelephoneEventSender } from './telephone-event-sender.js';

const PTIME_MS = 20;
const SAMPLES_PER_MS = 8;
const FRAME_BYTES = PTIME_MS * SAMPLES_PER_MS;
/** Dead-call and lost-end checks run every this many ticks (100 ms), not on every packet. */
const CHECK_EVERY_TICKS = 5;

export interface RtpSessionOptions {
  /** The call's sockets. The session listens and sends on them until `close()`; it never releases the lease. */
  readonly lease: RtpPortLease;
  /** Where to send until the far end's own packets show its real address (symmetric RTP). */
  readonly remote: { readonly address: string; readonly port: number };
  /** RTCP target from the answer's `a=rtcp`; default the remote address, port + 1. */
  readonly remoteRtcp?: { readonly address?: string; readonly port: number };
  readonly codec: RtpCodec;
  /** The answer's telephone-event payload type; without one we do not send DTMF and accept 101. */
  readonly telephoneEventPayloadType?: number;
  /** Send RTP (false when the far end will not receive: sendonly / hold). Default true. */
  readonly send?: boolean;
  /**
   * No RTP from the far end for this long emits `dead` once. 0 turns it off (the far end said it
   * will not send). Default 30 000.
   */
  readonly deadAfterMs?: number;
  /** RTCP report interval (randomised by ±50 %, RFC 3550 §6.3.1). Default 5000. */
  readonly rtcpIntervalMs?: number;
  /** Default: the process-wide scheduler. */
  readonly scheduler?: MediaScheduler;
  readonly logger?: Logger;
  /** RTCP SDES CNAME. Default: a random one per session. */
  readonly cname?: string;
  /** SRTP and SRTCP (RFC 3711) with these SDES keys; absent: plain RTP. */
  readonly srtp?: SrtpKeys;
}

/** A digit from the far end. */
export interface DtmfEvent {
  readonly digit: DtmfDigit;
  /** How long the key was held, when known. */
  readonly durationMs?: number;
  /** `rtp`: RFC 4733 telephone-event; `info`: SIP INFO. */
  readonly source: 'rtp' | 'info';
}

export interface DeadMediaEvent {
  /** ms since the last RTP packet from the far end (or since the session started, if none came). */
  readonly silentMs: number;
  readonly everReceived: boolean;
}

export type RtpSessionEvents = {
  dtmf: [DtmfEvent];
  dead: [DeadMediaEvent];
  /** The far end's audio, decoded to 8 kHz PCM, one packet at a time in arrival order. */
  audio: [Int16Array];
  /**
   * What we played in one 20 ms tick, as G.711 in the session's codec: the prompt, else encoded
   * silence (also while a DTMF event goes out, or when the far end takes nothing). One per tick,
   * so it is also the call's media clock (a recording's timeline).
   */
  sent: [Uint8Array];
};

/** A call's media figures: what went out, what came in and how it arrived. */
export interface RtpSessionStats {
  readonly codec: G711Codec;
  readonly packetsSent: number;
  /** Payload bytes sent (the SR octet count). */
  readonly octetsSent: number;
  readonly packetsReceived: number;
  readonly packetsLost: number;
  readonly jitterMs: number;
  readonly maxJitterMs: number;
  readonly ssrcChanges: number;
  /** `address:port` our RTP went to at the end: the latched source, else the SDP answer. */
  readonly remote: string;
  /** True once the far end's packets came from somewhere and we switched to sending there. */
  readonly latched: boolean;
  readonly dtmfReceived: number;
  readonly dtmfSent: number;
  readonly rtcpSent: number;
  readonly rtcpReceived: number;
  /** The far end's view of our stream, from its last RTCP report about us. */
  readonly remoteReport?: RemoteReport;
  /** Packets on the RTP port that were not RTP (too short, wrong version). */
  readonly invalidPackets: number;
  /** Present on an SRTP session. */
  readonly srtp?: SrtpReceiveStats;
}

interface Playback {
  /** Taken in the codec of the packet being sent: the call may switch codec mid-prompt. */
  readonly audio: G711Audio;
  readonly length: number;
  offset: number;
  readonly done: (how: PlayResult) => void;
}

/** How a `play()` ended. */
export type PlayResult = 'played' | 'stopped' | 'closed';

/**
 * One call's RTP and RTCP: a 20 ms stream paced by the shared scheduler (prompt audio, else
 * encoded silence), RFC 4733 DTMF both ways, receive statistics, reports, and dead-media detection.
 */
export class RtpSession extends TypedEventEmitter<RtpSessionEvents> implements PacedStream {
  readonly ssrc: number;
  readonly #rtp: dgram.Socket;
  readonly #rtcp: dgram.Socket | undefined;
  readonly #format: RtpFormat;
  #send: boolean;
  #deadAfterMs: number;
  readonly #configuredDeadAfterMs: number;
  /** After a retarget: the source we sent to before, whose packets in flight must not latch us back. */
  #staleSource: string | undefined;
  #staleRtcpSource: string | undefined;
  /** Dead-media silence counts from here at the earliest (the last retarget). */
  #deadFrom = 0;
  readonly #rtcpIntervalMs: number;
  readonly #scheduler: MediaScheduler;
  readonly #logger: Logger;
  readonly #cname: string;
  readonly #stats = new RtpReceiveStats();

  #remoteAddress: string;
  #remotePort: number;
  #latched = false;
  #rtcpAddress: string;
  #rtcpPort: number;
  #rtcpLatched = false;

  #handle: PacedHandle | undefined;
  #startIdeal = 0;
  #timestampBase: number;
  #seq: number;
  #marker = true;
  #ticks = 0;
  #nextRtcpAt = 0;
  #closed = false;

  #packetsSent = 0;
  #octetsSent = 0;
  #sentSinceReport = false;
  #lastSentTimestamp = 0;
  #dtmfSent = 0;
  #dtmfReceived = 0;
  #rtcpSent = 0;
  #rtcpReceived = 0;
  #invalid = 0;
  #remoteReport: RemoteReport | undefined;
  #srtp: SrtpStreams | undefined;
  #lastSr: LastSenderReport | undefined;

  #startedAt = 0;
  #lastRtpAt: number | undefined;
  #deadFired = false;

  #playback: Playback | undefined;
  readonly #playQueue: Playback[] = [];
  readonly #eventsOut = new TelephoneEventSender(FRAME_BYTES);
  readonly #events = new TelephoneEventReceiver((digit, durationMs) => {
    this.#dtmfReceived++;
    this.emit('dtmf', { digit, durationMs, source: 'rtp' });
  });

  constructor(options: RtpSessionOptions) {
    super();
    const { lease } = options;
    this.#rtp = lease.rtpSocket;
    this.#rtcp = lease.rtcpSocket;
    this.#format = new RtpFormat(
      { name: options.codec.name, payloadType: options.codec.payloadType },
      options.telephoneEventPayloadType,
    );
    this.#send = options.send ?? true;
    this.#deadAfterMs = options.deadAfterMs ?? 30_000;
    if (!Number.isFinite(this.#deadAfterMs) || this.#deadAfterMs < 0) {
      throw new MediaSessionError(
        `deadAfterMs must be a non-negative number, got ${String(options.deadAfterMs)}`,
      );
    }
    this.#configuredDeadAfterMs = this.#deadAfterMs;
    this.#rtcpIntervalMs = options.rtcpIntervalMs ?? 5000;
    this.#scheduler = options.scheduler ?? MediaScheduler.shared();
    this.#logger = options.logger ?? silentLogger();
    this.#cname = options.cname ?? `dialer-${randomBytes(6).toString('hex')}@${lease.address}`;
    this.#remoteAddress = options.remote.address;
    this.#remotePort = options.remote.port;
    this.#rtcpAddress = options.remoteRtcp?.address ?? options.remote.address;
    this.#rtcpPort = options.remoteRtcp?.port ?? options.remote.port + 1;
    // RFC 3550 §5.1: random initial sequence number, timestamp and SSRC.
    this.ssrc = randomInt(1, 0xffffffff);
    this.#seq = randomInt(0, 0x10000);
    this.#timestampBase = randomInt(0, 0xffffffff);
    if (options.srtp !== undefined) this.rekey(options.srtp);
  }

  /**
   * Takes the keys a new offer/answer in the dialog settled (RFC 4568 §7.1.4). A direction whose
   * key did not change keeps its context, so its rollover counter and replay window go on.
   */
  rekey(keys: SrtpKeys): void {
    if (this.#srtp === undefined) this.#srtp = new SrtpStreams(keys, this.#logger);
    else this.#srtp.rekey(keys);
  }

  /** Starts sending and listening. Idempotent. */
  start(): this {
    if (this.#handle || this.#closed) return this;
    this.#rtp.on('message', this.#onRtp);
    this.#rtcp?.on('message', this.#onRtcp);
    const now = performance.now();
    this.#startedAt = now;
    this.#startIdeal = now;
    this.#nextRtcpAt = now + this.#rtcpIntervalMs * (0.5 + Math.random());
    this.#handle = this.#scheduler.add(this, now);
    return this;
  }

  /**
   * Plays audio after whatever is queued: G.711 bytes in the session's codec now, or audio in
   * any codec (a `Prompt`), taken packet by packet in the codec the call runs then. Resolves when
   * the last byte went out (`played`), when `stopPlayback()` cut it (`stopped`), or on `close()`
   * (`closed`).
   */
  play(audio: Uint8Array | G711Audio): Promise<PlayResult> {
    if (this.#closed) return Promise.resolve('closed');
    const source = audio instanceof Uint8Array ? g711AudioOf(audio, this.#format.codec) : audio;
    const length = source.encoded(this.#format.codec).length;
    return new Promise<PlayResult>((resolve) => {
      this.#playQueue.push({ audio: source, length, offset: 0, done: resolve });
    });
  }

  /** Stops the prompt playing now and drops the queued ones. */
  stopPlayback(): void {
    const all = this.#playback ? [this.#playback, ...this.#playQueue] : [...this.#playQueue];
    this.#playback = undefined;
    this.#playQueue.length = 0;
    for (const p of all) p.done('stopped');
  }

  get playing(): boolean {
    return this.#playback !== undefined || this.#playQueue.length > 0;
  }

  /**
   * Sends digits as RFC 4733 events, each `durationMs` long with a 60 ms gap, after any queued.
   * Resolves when the last end packet went out. Rejects with `MediaSessionError` when the answer
   * offered no telephone-event or a digit is not 0-9 * # A-D.
   */
  sendDtmf(digits: string, durationMs = 100): Promise<void> {
    if (this.#format.eventPayloadType === undefined) {
      return Promise.reject(
        new MediaSessionError('the far end did not accept telephone-event: cannot send DTMF'),
      );
    }
    const codes = [...digits].map((d) => dtmfEventCode(d));
    if (digits.length === 0 || codes.some((c) => c === undefined)) {
      return Promise.reject(
        new MediaSessionError(`digits must be 0-9 * # A-D, got ${JSON.stringify(digits)}`),
      );
    }
    if (!Number.isFinite(durationMs) || durationMs < 40 || durationMs > 5000) {
      return Promise.reject(new MediaSessionError(`durationMs must be 40-5000, got ${String(durationMs)}`));
    }
    if (this.#closed) return Promise.resolve();
    // Checked above: every code is defined.
    return this.#eventsOut.enqueue(codes as number[], Math.round(durationMs / PTIME_MS) * FRAME_BYTES);
  }

  /**
   * The far end moved its media (an offer of its own we accepted in a re-INVITE or UPDATE,
   * RFC 3264 §8): send to `remote` from the next packet. Symmetric RTP latches again, but not
   * onto the old source, whose last packets may still be in flight. `send: false` when the far
   * end will not take our media now (hold); `silent`: it said it will not send, so quiet is not
   * dead media. A codec the answer changed is `switchCodec`'s.
   */
  retarget(target: {
    readonly remote: { readonly address: string; readonly port: number };
    readonly remoteRtcp?: { readonly address?: string; readonly port: number };
    readonly send: boolean;
    readonly silent: boolean;
  }): void {
    if (this.#closed) return;
    const moved = target.remote.address !== this.#remoteAddress || target.remote.port !== this.#remotePort;
    if (moved) {
      this.#staleSource = `${this.#remoteAddress}:${this.#remotePort}`;
      this.#staleRtcpSource = `${this.#rtcpAddress}:${this.#rtcpPort}`;
      this.#latched = false;
      this.#rtcpLatched = false;
      this.#logger.debug(
        { from: this.#staleSource, to: `${target.remote.address}:${target.remote.port}` },
        'far end moved its media: sending there',
      );
    }
    this.#remoteAddress = target.remote.address;
    this.#remotePort = target.remote.port;
    this.#rtcpAddress = target.remoteRtcp?.address ?? target.remote.address;
    this.#rtcpPort = target.remoteRtcp?.port ?? target.remote.port + 1;
    if (this.#send !== target.send) this.#marker = true;
    this.#send = target.send;
    this.#deadAfterMs = target.silent ? 0 : this.#configuredDeadAfterMs;
    // The new source gets the whole dead-call time from now.
    if (moved || target.silent) this.#deadFrom = performance.now();
  }

  /**
   * The far end's offer we accepted changed the codec or the telephone-event payload type (RFC
   * 3264 §8.3.2): from the next packet we send and decode `codec` and send and accept events at
   * `telephoneEventPayloadType`. A prompt playing goes on in the new codec where it was. Without
   * telephone-event now, digits still queued are dropped (their sends resolve), as `sendDtmf`
   * would refuse them.
   */
  switchCodec(format: { readonly codec: RtpCodec; readonly telephoneEventPayloadType?: number }): void {
    if (this.#closed) return;
    const from = `${this.#format.codec}/${this.#format.audioPayloadType}`;
    if (
      this.#format.switchTo(
        { name: format.codec.name, payloadType: format.codec.payloadType },
        format.telephoneEventPayloadType,
      )
    ) {
      this.#logger.debug(
        { from, to: `${format.codec.name}/${format.codec.payloadType}` },
        'codec switched by an offer in the dialog',
      );
      this.#marker = true;
    }
    if (this.#format.eventPayloadType === undefined && this.#eventsOut.pending > 0) {
      const dropped = this.#eventsOut.dropAll();
      this.#logger.info({ dropped }, 'the new offer has no telephone-event: queued digits dropped');
    }
  }

  /** The codec of the next packet (it changes when an offer in the dialog switches it). */
  get codec(): G711Codec {
    return this.#format.codec;
  }

  get stats(): RtpSessionStats {
    const rx = this.#stats.summary;
    return {
      codec: this.#format.codec,
      packetsSent: this.#packetsSent,
      octetsSent: this.#octetsSent,
      packetsReceived: rx.packetsReceived,
      packetsLost: rx.packetsLost,
      jitterMs: round2(rx.jitterMs),
      maxJitterMs: round2(rx.maxJitterMs),
      ssrcChanges: rx.ssrcChanges,
      remote: `${this.#remoteAddress}:${this.#remotePort}`,
      latched: this.#latched,
      dtmfReceived: this.#dtmfReceived,
      dtmfSent: this.#dtmfSent,
      rtcpSent: this.#rtcpSent,
      rtcpReceived: this.#rtcpReceived,
      ...(this.#remoteReport ? { remoteReport: this.#remoteReport } : {}),
      invalidPackets: this.#invalid,
      ...(this.#srtp !== undefined ? { srtp: this.#srtp.stats } : {}),
    };
  }

  /**
   * Stops the stream, sends an RTCP BYE, ends pending plays (`closed`) and DTMF sends, and takes
   * the session's listeners off the sockets. Idempotent. The lease stays the caller's to release.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#handle?.cancel();
    this.#handle = undefined;
    this.#rtp.off('message', this.#onRtp);
    this.#rtcp?.off('message', this.#onRtcp);
    if (this.#startedAt !== 0) this.#sendRtcp(true);
    const plays = this.#playback ? [this.#playback, ...this.#playQueue] : [...this.#playQueue];
    this.#playback = undefined;
    this.#playQueue.length = 0;
    for (const p of plays) p.done('closed');
    this.#eventsOut.dropAll();
    this.#events.reset();
    this.removeAllListeners();
  }

  /** The scheduler's call: one 20 ms packet. */
  tick(idealMs: number): void {
    if (this.#closed) return;
    const timestamp = (this.#timestampBase + Math.round((idealMs - this.#startIdeal) * SAMPLES_PER_MS)) >>> 0;
    let frame: Uint8Array | undefined;
    if (this.#send) {
      if (this.#eventsOut.pending > 0 && this.#format.eventPayloadType !== undefined)
        this.#sendEventPacket(timestamp);
      else frame = this.#sendAudioPacket(timestamp);
    }
    if (this.listenerCount('sent') > 0) this.emit('sent', frame ?? this.#format.silentFrame(FRAME_BYTES));
    if (++this.#ticks % CHECK_EVERY_TICKS === 0) this.#check(performance.now());
  }

  /** Sends one audio packet; returns its payload. */
  #sendAudioPacket(timestamp: number): Uint8Array {
    const packet = Buffer.allocUnsafe(RTP_HEADER_LENGTH + FRAME_BYTES);
    let playback = this.#playback;
    if (playback === undefined && this.#playQueue.length > 0) {
      playback = this.#playback = this.#playQueue.shift();
      this.#marker = true; // a talk spurt starts
    }
    if (playback !== undefined) {
      const audio = playback.audio.encoded(this.#format.codec);
      const n = Math.min(FRAME_BYTES, playback.length - playback.offset);
      packet.set(audio.subarray(playback.offset, playback.offset + n), RTP_HEADER_LENGTH);
      if (n < FRAME_BYTES) packet.fill(this.#format.silence, RTP_HEADER_LENGTH + n);
      playback.offset += n;
      if (playback.offset >= playback.length) {
        this.#playback = undefined;
        playback.done('played');
      }
    } else {
      packet.fill(this.#format.silence, RTP_HEADER_LENGTH);
    }
    this.#emit(packet, this.#format.audioPayloadType, timestamp, FRAME_BYTES);
    return packet.subarray(RTP_HEADER_LENGTH);
  }

  #sendEventPacket(timestamp: number): void {
    const packet = Buffer.allocUnsafe(RTP_HEADER_LENGTH + TELEPHONE_EVENT_LENGTH);
    const step = this.#eventsOut.next(packet, RTP_HEADER_LENGTH, timestamp);
    if (step.first) this.#marker = true; // RFC 4733 §2.5.1.1: the first packet of an event
    // Repeats of the end packet carry the same sequence number (they are the same packet).
    if (step.repeat) this.#seq = (this.#seq - 1) & 0xffff;
    // tick() sends events only while a telephone-event payload type is set.
    this.#emit(packet, this.#format.eventPayloadType!, step.timestamp, TELEPHONE_EVENT_LENGTH);
    if (step.done) {
      this.#dtmfSent++;
      // The gap after the digit is ordinary audio; its first packet (a talk spurt) is marked,
      // not this end packet (RFC 4733 §2.5.1.1 marks an event's first packet only).
      this.#marker = true;
    }
  }

  #emit(packet: Buffer, payloadType: number, timestamp: number, payloadBytes: number): void {
    writeRtpHeader(packet, {
      payloadType,
      sequenceNumber: this.#seq,
      timestamp,
      ssrc: this.ssrc,
      marker: this.#marker,
    });
    this.#marker = false;
    this.#seq = (this.#seq + 1) & 0xffff;
    this.#packetsSent++;
    this.#octetsSent += payloadBytes;
    this.#sentSinceReport = true;
    this.#lastSentTimestamp = timestamp;
    this.#rtp.send(
      this.#srtp !== undefined ? this.#srtp.protectRtp(packet) : packet,
      this.#remotePort,
      this.#remoteAddress,
      this.#onSendError,
    );
  }

  readonly #onSendError = (error: Error | null): void => {
    // ICMP port unreachable and the like: the far end's problem, seen in its RTCP or as dead media.
    if (error)
      this.#logger.debug(
        { err: error, remote: `${this.#remoteAddress}:${this.#remotePort}` },
        'RTP send failed',
      );
  };

  #check(now: number): void {
    this.#events.check(now);
    if (now >= this.#nextRtcpAt) {
      this.#nextRtcpAt = now + this.#rtcpIntervalMs * (0.5 + Math.random());
      this.#sendRtcp(false);
    }
    if (this.#deadAfterMs > 0 && !this.#deadFired) {
      const silentMs = now - Math.max(this.#lastRtpAt ?? this.#startedAt, this.#deadFrom);
      if (silentMs >= this.#deadAfterMs) {
        this.#deadFired = true;
        this.emit('dead', { silentMs: Math.round(silentMs), everReceived: this.#lastRtpAt !== undefined });
      }
    }
  }

  #sendRtcp(bye: boolean): void {
    if (!this.#rtcp || !this.#send) return;
    const report = this.#stats.takeReport();
    const now = performance.now();
    const packet = buildRtcpCompound({
      ssrc: this.ssrc,
      cname: this.#cname,
      ...(this.#sentSinceReport
        ? {
            sender: {
              wallClockMs: Date.now(),
              rtpTimestamp: this.#lastSentTimestamp,
              packetCount: this.#packetsSent,
              octetCount: this.#octetsSent,
            },
          }
        : {}),
      ...(report ? { report } : {}),
      ...(this.#lastSr ? { lastSr: this.#lastSr } : {}),
      nowMs: now,
      bye,
    });
    this.#sentSinceReport = false;
    this.#rtcpSent++;
    this.#rtcp.send(
      this.#srtp !== undefined ? this.#srtp.protectRtcp(packet) : packet,
      this.#rtcpPort,
      this.#rtcpAddress,
      this.#onSendError,
    );
  }

  readonly #onRtp = (received: Buffer, rinfo: dgram.RemoteInfo): void => {
    let buf = received;
    if (this.#srtp !== undefined) {
      // Before anything else, latching included: an unauthenticated packet must not steer us.
      const plain = this.#srtp.unprotectRtp(received, rinfo);
      if (typeof plain === 'string') {
        if (plain === 'malformed') this.#invalid++;
        return;
      }
      buf = plain;
    }
    const packet = parseRtpPacket(buf);
    if (packet === undefined) {
      this.#invalid++;
      return;
    }
    const now = performance.now();
    this.#lastRtpAt = now;
    if (
      !this.#latched &&
      (this.#staleSource === undefined || this.#staleSource !== `${rinfo.address}:${rinfo.port}`)
    ) {
      this.#latched = true;
      if (rinfo.address !== this.#remoteAddress || rinfo.port !== this.#remotePort) {
        this.#logger.debug(
          { sdp: `${this.#remoteAddress}:${this.#remotePort}`, actual: `${rinfo.address}:${rinfo.port}` },
          'far end sends RTP from elsewhere than its SDP: answering there (symmetric RTP)',
        );
        this.#remoteAddress = rinfo.address;
        this.#remotePort = rinfo.port;
      }
    }
    const isEvent = packet.payloadType === this.#format.acceptedEventPayloadType;
    this.#stats.update(packet.ssrc, packet.sequenceNumber, packet.timestamp, now, !isEvent);
    if (isEvent) {
      const event = parseTelephoneEvent(buf, packet.payloadOffset, packet.payloadLength);
      if (event)
        this.#events.packet(
          `${packet.ssrc}:${packet.timestamp}`,
          event.event,
          event.end,
          event.duration,
          now,
        );
    } else if (this.listenerCount('audio') > 0) {
      // Decoded only when someone listens (answering-machine detection, recording): most calls
      // never are. By the packet's own payload type: just after a codec switch the far end's
      // packets in flight still carry the old one.
      const codec = this.#format.codecOfPayload(packet.payloadType);
      if (codec === undefined) return;
      const payload = buf.subarray(packet.payloadOffset, packet.payloadOffset + packet.payloadLength);
      this.emit('audio', decodeG711(payload, codec));
    }
  };

  readonly #onRtcp = (received: Buffer, rinfo: dgram.RemoteInfo): void => {
    let buf = received;
    if (this.#srtp !== undefined) {
      const plain = this.#srtp.unprotectRtcp(received, rinfo);
      if (typeof plain === 'string') {
        if (plain === 'malformed') this.#invalid++;
        return;
      }
      buf = plain;
    }
    const parsed = parseRtcp(buf, this.ssrc, Date.now());
    if (parsed === undefined) return;
    this.#rtcpReceived++;
    if (!this.#rtcpLatched && this.#staleRtcpSource !== `${rinfo.address}:${rinfo.port}`) {
      this.#rtcpLatched = true;
      this.#rtcpAddress = rinfo.address;
      this.#rtcpPort = rinfo.port;
    }
    if (parsed.aboutUs) this.#remoteReport = parsed.aboutUs;
    if (parsed.srNtpMiddle !== undefined) {
      this.#lastSr = { lsr: parsed.srNtpMiddle, receivedAtMs: performance.now() };
    }
  };
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
