/** RFC 3261 §17 timer base values, ms. */
export interface SipTimerValues {
  /** RTT estimate. Default: 500. */
  readonly t1: number;
  /** Cap on non-INVITE and INVITE response retransmit intervals. Default: 4000. */
  readonly t2: number;
  /** Longest a message stays in the network. Default: 5000. */
  readonly t4: number;
}

export const defaultSipTimers: SipTimerValues = Object.freeze({ t1: 500, t2: 4000, t4: 5000 });

export interface TimerHandle {
  cancel(): void;
}

/**
 * The clock transactions run on. Real time in production; tests drive a fake one to check
 * the retransmission schedule exactly without waiting 32 seconds.
 */
export interface Clock {
  now(): number;
  setTimer(ms: number, fn: () => void): TimerHandle;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  setTimer(ms, fn) {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
};
