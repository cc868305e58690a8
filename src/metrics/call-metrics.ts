import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { CallLifecycleEvent } from '../jobs/index.js';
import { deferralCause } from './deferral-cause.js';

// Carriers answer with ringback in tens of ms to ~10 s; setup includes the time a person takes to pick up.
const PDD_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 13, 20];
const SETUP_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30, 45, 60];
// A person is decided from about 0.8 s, a long greeting at 1.5 s, the analysis gives up at 5 s.
const AMD_DECISION_BUCKETS = [0.5, 0.75, 1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6];

/**
 * Counters and histograms fed by the worker's call lifecycle events. `observe` is synchronous
 * and allocation-light: it runs on the call path.
 */
export class CallMetrics {
  readonly #completed: Counter<'trunk' | 'status' | 'sip_code'>;
  readonly #attempts: Counter<'trunk' | 'sip_code'>;
  readonly #deferred: Counter<'trunk' | 'cause'>;
  readonly #pdd: Histogram<'trunk'>;
  readonly #setup: Histogram<'trunk'>;
  readonly #amdDecisions: Counter<'trunk' | 'result' | 'reason'>;
  readonly #amdDecisionTime: Histogram<'trunk' | 'result'>;
  readonly #srtpDropped: Counter<'trunk' | 'reason'>;
  /** Job ids with an INVITE out, per trunk (a set, so a lost end event cannot drive the gauge negative). */
  readonly #live = new Map<string, Set<string>>();
  /** Job ids whose attempt has not rung yet: the first provisional gives the post-dial delay. */
  readonly #awaitingRing = new Set<string>();

  constructor(registry: Registry) {
    const registers = [registry];
    this.#completed = new Counter({
      name: 'dialer_calls_completed_total',
      help: 'Numbers that reached their final outcome in this process, by trunk, final status and the SIP code of the last attempt ("none" when no INVITE went out)',
      labelNames: ['trunk', 'status', 'sip_code'],
      registers,
    });
    this.#attempts = new Counter({
      name: 'dialer_call_attempts_total',
      help: 'INVITE attempts that ended, dial format fallbacks and retries included, by trunk and final SIP code',
      labelNames: ['trunk', 'sip_code'],
      registers,
    });
    this.#deferred = new Counter({
      name: 'dialer_jobs_deferred_total',
      help: 'Jobs taken but put back before dialing (rate limited by pace or channels, circuit open, calling hours, …), by trunk and cause',
      labelNames: ['trunk', 'cause'],
      registers,
    });
    this.#pdd = new Histogram({
      name: 'dialer_post_dial_delay_seconds',
      help: 'Time from the INVITE to the first provisional response (180/183)',
      labelNames: ['trunk'],
      buckets: PDD_BUCKETS,
      registers,
    });
    this.#setup = new Histogram({
      name: 'dialer_call_setup_seconds',
      help: 'Time from the INVITE to the 200 OK of answered calls',
      labelNames: ['trunk'],
      buckets: SETUP_BUCKETS,
      registers,
    });
    this.#amdDecisions = new Counter({
      name: 'dialer_amd_decisions_total',
      help: 'Answering-machine detection decisions on answered attempts, by trunk, result (human, machine, unknown) and reason',
      labelNames: ['trunk', 'result', 'reason'],
      registers,
    });
    this.#amdDecisionTime = new Histogram({
      name: 'dialer_amd_decision_seconds',
      help: "Seconds of the callee's audio answering-machine detection took to decide, by trunk and result",
      labelNames: ['trunk', 'result'],
      buckets: AMD_DECISION_BUCKETS,
      registers,
    });
    this.#srtpDropped = new Counter({
      name: 'dialer_srtp_dropped_total',
      help: 'SRTP and SRTCP packets dropped on ended attempts, by trunk and reason: auth (the tag did not verify: a wrong key, tampering) or replay',
      labelNames: ['trunk', 'reason'],
      registers,
    });
    const live = this.#live;
    new Gauge({
      name: 'dialer_active_calls',
      help: 'Calls with an INVITE out or answered, in this process, by trunk',
      labelNames: ['trunk'],
      registers,
      collect() {
        for (const [trunk, jobs] of live) this.set({ trunk }, jobs.size);
      },
    });
  }

  /** Feed it every `call` event of a DialerWorker. */
  observe(event: CallLifecycleEvent): void {
    const trunk = event.trunk;
    switch (event.type) {
      case 'initiated': {
        let jobs = this.#live.get(trunk);
        if (!jobs) this.#live.set(trunk, (jobs = new Set()));
        jobs.add(event.jobId);
        this.#awaitingRing.add(event.jobId);
        return;
      }
      case 'ringing':
        if (this.#awaitingRing.delete(event.jobId)) this.#pdd.observe({ trunk }, event.afterMs / 1000);
        return;
      case 'answered':
        // A call answered without ringing has no post-dial delay of its own; the setup time covers it.
        this.#awaitingRing.delete(event.jobId);
        this.#setup.observe({ trunk }, event.setupMs / 1000);
        return;
      case 'attempt-ended':
        this.#endAttempt(trunk, event.jobId);
        this.#attempts.inc({ trunk, sip_code: sipCodeLabel(event.record.sipCode) });
        if (event.record.amd !== undefined) {
          const { result, reason, decisionMs } = event.record.amd;
          this.#amdDecisions.inc({ trunk, result, reason });
          this.#amdDecisionTime.observe({ trunk, result }, decisionMs / 1000);
        }
        if (event.record.media?.srtp !== undefined) {
          // Counted at the attempt's end, from its own figures: one source for the outcome and /metrics.
          const { authFailures, replayed } = event.record.media.srtp;
          this.#srtpDropped.inc({ trunk, reason: 'auth' }, authFailures);
          this.#srtpDropped.inc({ trunk, reason: 'replay' }, replayed);
        }
        return;
      case 'deferred':
        this.#deferred.inc({ trunk, cause: deferralCause(event.reason) });
        return;
      case 'completed': {
        this.#endAttempt(trunk, event.jobId);
        const last = event.outcome.attempts.at(-1);
        this.#completed.inc({
          trunk,
          status: event.outcome.status,
          sip_code: sipCodeLabel(last?.sipCode),
        });
        return;
      }
    }
  }

  #endAttempt(trunk: string, jobId: string): void {
    this.#live.get(trunk)?.delete(jobId);
    this.#awaitingRing.delete(jobId);
  }
}

function sipCodeLabel(code: number | undefined): string {
  return code === undefined ? 'none' : String(code);
}

/** Registers the call counters and histograms on `registry`. */
export function registerCallMetrics(registry: Registry): CallMetrics {
  return new CallMetrics(registry);
}
