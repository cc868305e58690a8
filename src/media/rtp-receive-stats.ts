/** RFC 3550 A.1: a jump of more than this many sequence numbers ahead is suspect. */
const MAX_DROPOUT = 3000;
/** RFC 3550 A.1: this far behind is a late or duplicate packet, not a restart. */
const MAX_MISORDER = 100;
const SEQ_MOD = 0x10000;

/** What the receiver has seen, over every SSRC the far end used. */
export interface RtpReceiveSummary {
  readonly packetsReceived: number;
  /** Expected (from sequence numbers) minus received, summed over sources; never negative. */
  readonly packetsLost: number;
  /** Interarrival jitter of the current source (RFC 3550 A.8), ms. */
  readonly jitterMs: number;
  /** Highest jitter seen over the call, ms. */
  readonly maxJitterMs: number;
  /** The far end's current SSRC. */
  readonly ssrc?: number;
  /** Times the far end switched SSRC (a new source restarts the sequence). */
  readonly ssrcChanges: number;
}

/** What an RTCP reception report block needs (RFC 3550 §6.4.1). */
export interface ReceptionReport {
  readonly ssrc: number;
  /** 8-bit fixed point fraction lost since the last report. */
  readonly fractionLost: number;
  /** Cumulative lost, clamped to the signed 24-bit range. */
  readonly cumulativeLost: number;
  readonly extendedHighestSeq: number;
  /** Timestamp units. */
  readonly jitter: number;
}

/**
 * Sequence tracking (RFC 3550 A.1, without the probation period: a call's peer is known) and
 * interarrival jitter (A.8) of the far end's RTP, one source at a time.
 */
export class RtpReceiveStats {
  readonly #clockRate: number;
  #ssrc: number | undefined;
  #ssrcChanges = 0;
  #baseSeq = 0;
  #maxSeq = 0;
  #cycles = 0;
  #badSeq = SEQ_MOD + 1;
  #received = 0;
  #expectedPrior = 0;
  #receivedPrior = 0;
  #jitter = 0;
  #maxJitter = 0;
  #lastTransitArrival: number | undefined;
  #lastTransitTs = 0;
  /** Totals of the sources before the current one. */
  #receivedBefore = 0;
  #lostBefore = 0;

  constructor(clockRate = 8000) {
    this.#clockRate = clockRate;
  }

  /**
   * One packet. `arrivalMs` is a monotonic time; `forJitter` is false for packets whose timestamp
   * is not a sampling instant (telephone-event repeats carry the event's start time).
   * Returns false when the packet was set aside as a suspect jump (A.1 bad_seq).
   */
  update(ssrc: number, seq: number, timestamp: number, arrivalMs: number, forJitter: boolean): boolean {
    if (this.#ssrc !== ssrc) {
      if (this.#ssrc !== undefined) {
        this.#receivedBefore += this.#received;
        this.#lostBefore += Math.max(0, this.#expected() - this.#received);
        this.#ssrcChanges++;
      }
      this.#ssrc = ssrc;
      this.#restart(seq);
      this.#jitter = 0;
      this.#lastTransitArrival = undefined;
    } else {
      const delta = (seq - this.#maxSeq + SEQ_MOD) % SEQ_MOD;
      if (delta < MAX_DROPOUT) {
        if (seq < this.#maxSeq) this.#cycles += SEQ_MOD;
        this.#maxSeq = seq;
      } else if (delta <= SEQ_MOD - MAX_MISORDER) {
        if (seq !== this.#badSeq) {
          this.#badSeq = (seq + 1) % SEQ_MOD;
          return false;
        }
        // Two in a row from the new place: the source restarted its sequence (A.1).
        this.#receivedBefore += this.#received;
        this.#lostBefore += Math.max(0, this.#expected() - this.#received);
        this.#restart(seq);
      }
      // else: late or duplicate, counted below.
    }
    this.#received++;
    if (forJitter) this.#updateJitter(timestamp, arrivalMs);
    return true;
  }

  get summary(): RtpReceiveSummary {
    const lost = this.#ssrc === undefined ? 0 : Math.max(0, this.#expected() - this.#received);
    return {
      packetsReceived: this.#receivedBefore + this.#received,
      packetsLost: this.#lostBefore + lost,
      jitterMs: this.#jitter / (this.#clockRate / 1000),
      maxJitterMs: this.#maxJitter / (this.#clockRate / 1000),
      ...(this.#ssrc !== undefined ? { ssrc: this.#ssrc } : {}),
      ssrcChanges: this.#ssrcChanges,
    };
  }

  /** A report block for the current source, and the interval counters start again (A.3). */
  takeReport(): ReceptionReport | undefined {
    if (this.#ssrc === undefined) return undefined;
    const expected = this.#expected();
    const expectedInterval = expected - this.#expectedPrior;
    const receivedInterval = this.#received - this.#receivedPrior;
    this.#expectedPrior = expected;
    this.#receivedPrior = this.#received;
    const lostInterval = expectedInterval - receivedInterval;
    const fractionLost =
      expectedInterval === 0 || lostInterval <= 0 ? 0 : Math.floor((lostInterval * 256) / expectedInterval);
    const cumulative = expected - this.#received;
    return {
      ssrc: this.#ssrc,
      fractionLost: Math.min(fractionLost, 255),
      cumulativeLost: Math.max(-0x800000, Math.min(0x7fffff, cumulative)),
      extendedHighestSeq: (this.#cycles + this.#maxSeq) >>> 0,
      jitter: Math.round(this.#jitter) >>> 0,
    };
  }

  #expected(): number {
    return this.#cycles + this.#maxSeq - this.#baseSeq + 1;
  }

  #restart(seq: number): void {
    this.#baseSeq = seq;
    this.#maxSeq = seq;
    this.#cycles = 0;
    this.#badSeq = SEQ_MOD + 1;
    this.#received = 0;
    this.#expectedPrior = 0;
    this.#receivedPrior = 0;
  }

  #updateJitter(timestamp: number, arrivalMs: number): void {
    const arrival = arrivalMs * (this.#clockRate / 1000);
    if (this.#lastTransitArrival !== undefined) {
      // Timestamps wrap at 2^32: their difference, read as signed 32 bits, survives the wrap.
      const tsDelta = (timestamp - this.#lastTransitTs) | 0;
      const d = Math.abs(arrival - this.#lastTransitArrival - tsDelta);
      this.#jitter += (d - this.#jitter) / 16;
      if (this.#jitter > this.#maxJitter) this.#maxJitter = this.#jitter;
    }
    this.#lastTransitArrival = arrival;
    this.#lastTransitTs = timestamp;
  }
}
