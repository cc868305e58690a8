/**
 * The one place the trunk limiter's pace defaults live (see `TrunkLimiterOptions` for what each
 * does). The learning figures were chosen against a carrier that refuses above a fixed rate
 * (bench/carrier-limit.ts): slower probing means fewer 503s, at the price of finding a raised
 * carrier limit later.
 */
export const TRUNK_PACE_DEFAULTS = Object.freeze({
  channelLeaseMs: 60_000,
  burst: 1,
  lateStartToleranceMs: 20,
  /** Fresh slots one gate check books for starts found late before the job goes back to the queue. */
  maxLateRebooks: 3,
  slowDownFactor: 0.5,
  minCps: 0.5,
  slowDownCooldownMs: 1_000,
  rampStep: 0.1,
  rampIntervalMs: 1_000,
  learnCeiling: true,
  ceilingMargin: 0.95,
  measureWindowMs: 15_000,
  minAcceptedToLearn: 3,
  probeStepCps: 0.1,
  probeIntervalMs: 10_000,
  ceilingDecayMs: 20 * 60_000,
});
