/**
 * How long each step of a shutdown or of a failed start's cleanup may wait, when what it waits on
 * (mostly Redis) does not answer. The sum after the grace period stays under 5 s, the bound
 * `shutdown.grace` + 5 s the README promises.
 */
export const SHUTDOWN_BOUNDS = Object.freeze({
  /** After the grace period: for the ended calls' jobs to be written back (outcome or requeue). */
  handBackMs: 2500,
  /** Each later step: the BullMQ worker's close, unregistering, the metrics server, a Redis QUIT. */
  stepMs: 500,
});
