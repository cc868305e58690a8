export interface TimerHandle {
  cancel(): void;
}

/**
 * The clock SIP timers run on. Real time in production; tests drive a fake one to check a
 * retransmission or refresh schedule exactly without waiting for it.
 */
export interface Clock {
  now(): number;
  setTimer(ms: number, fn: () => void): TimerHandle;
}

/** Real time. Its timers do not hold the process open: whoever owns them ends them on close. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimer(ms, fn) {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
};
