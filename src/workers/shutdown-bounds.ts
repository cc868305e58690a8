/**
 * How long each step of a shutdown or of a failed start's cleanup may wait, when what it waits on
 * (mostly Redis) does not answer. Steps that can hang on Redis add up to under 5 s after the grace period, the bound
 * `shutdown.grace` + 5 s the README promises.
 */
export const SHUTDOWN_BOUNDS = Object.freeze({
  /** After the grace period: for the ended calls' jobs to be written back (outcome or requeue). */
  handBackMs: 2000,
  /** Each later step that waits on Redis: the BullMQ worker's close, the metrics queues, a QUIT. */
  stepMs: 400,
  /** A step that waits on the carrier instead (unregistering, the engine's close). */
  sipStepMs: 1500,
});
