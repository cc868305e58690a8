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

// The clock is engine-neutral (the registration loop runs on it too); transactions keep importing it from here.
export { systemClock, type Clock, type TimerHandle } from '../../clock.js';
