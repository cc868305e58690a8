import type { FinalStatus } from './final-status.js';

/**
 * What an attempt says about the trunk, for its circuit breaker and pace:
 * `ok`: the carrier handled the call normally (any callee outcome); `carrier-error`: 5xx or
 * transport trouble, counts towards opening the circuit; `slow-down`: a carrier error that also
 * asks to cut the calls-per-second (503, or a reason mentioning CPS/rate/limit);
 * `auth-failed`: credentials refused, stop the trunk now; `auth-strike`: a 403 right after our
 * credentials, a suspected trunk fault: a few in a row on different numbers stop the trunk;
 * `carrier-fault`: carrier trouble no retry of the number fixes (its TLS certificate does not
 * verify): the circuit opens at once, as carrier trouble, and probes again later.
 * Absent when the attempt says nothing about the trunk (our own error, a cancel).
 */
export type TrunkSignal =
  'ok' | 'carrier-error' | 'slow-down' | 'auth-failed' | 'auth-strike' | 'carrier-fault';

interface DecisionCommon {
  /** Human-readable why, for the outcome and logs: `486 Busy Here: busy, retry in 300000 ms`. */
  readonly reason: string;
  /** Policy rule that decided: a SIP code (`486`), a class (`4xx`), `transport`, `error`, `rate-limited`, `answered`, `aborted`. */
  readonly rule: string;
  readonly trunkSignal?: TrunkSignal;
}

/**
 * What the worker does with the job after an attempt. `status` is always the status the job ends
 * with if this decision is the last word (final for `done`; the fallback for the others).
 * - `done`: write the final outcome.
 * - `retry`: a new attempt after `delayMs` (a BullMQ delayed job).
 * - `next-format`: dial the next format of the trunk at once; part of the same attempt, so it does
 *   not count against max attempts.
 * - `hold`: keep the job pending and uncounted (its attempt record is marked `trunkFault`), and
 *   tell the trunk (its circuit opens or counts a strike). The job is dialled again when the
 *   trunk is healthy; `status` is only what the attempt points to.
 */
export type RetryDecision =
  | (DecisionCommon & { readonly action: 'done'; readonly status: FinalStatus })
  | (DecisionCommon & { readonly action: 'retry'; readonly delayMs: number; readonly status: FinalStatus })
  | (DecisionCommon & { readonly action: 'next-format'; readonly status: FinalStatus })
  | (DecisionCommon & { readonly action: 'hold'; readonly status: FinalStatus });
